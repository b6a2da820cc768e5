// The camera screen: the rear camera through getUserMedia, or a photo from the file picker / gallery; then the
// garments found in the photo, drawn as boxes to pick from.
import * as api from "./api.js";
import { categoryName, colourName, t } from "./i18n.js";
import { preparePhoto } from "./photo.js";
import { persist, remember, store } from "./store.js";
import { busy, button, errorPanel, h, notice, show } from "./ui.js";

// The search in progress, kept in memory only (the photo never reaches storage on the phone).
export const current = { photo: null, answer: null, garment: 0, filters: {}, refined: null };

let stream = null;

function stopCamera() {
  if (stream) stream.getTracks().forEach((track) => track.stop());
  stream = null;
}

function picker(capture) {
  const input = h("input.visually-hidden", { type: "file", accept: "image/*", capture: capture ? "environment" : false, tabindex: "-1", "aria-hidden": "true" });
  return input;
}

export function renderCamera(go) {
  stopCamera();
  if (!store.consents.photo_processing) {
    const allow = async () => {
      await api.decideConsent("photo_processing", true).catch(() => undefined);
      store.consents.photo_processing = true;
      persist();
      renderCamera(go);
    };
    show("camera", t("camera_title"), notice(t("photo_consent_off"), button(t("allow_photo"), allow, "primary")));
    return;
  }
  const gallery = picker(false);
  const shooter = picker(true);
  const status = h("div", { id: "camera-status" });
  const viewfinder = h("div.viewfinder", { hidden: true });
  for (const input of [gallery, shooter]) {
    input.addEventListener("change", () => input.files.length && searchPhoto(input.files[0], go, status));
  }

  async function openCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return shooter.click();
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false });
    } catch {
      status.replaceChildren(h("p.problem", { role: "alert" }, t("camera_unavailable")));
      return shooter.click();
    }
    const video = h("video", { autoplay: true, playsinline: true, muted: true, "aria-label": t("camera_label") });
    video.srcObject = stream;
    const shoot = () => {
      searchPhoto(video, go, status);
    };
    viewfinder.replaceChildren(video, h("div.actions", {},
      button(t("capture"), shoot, "primary", { id: "shoot" }),
      button(t("cancel"), () => { stopCamera(); viewfinder.hidden = true; }, "secondary")));
    viewfinder.hidden = false;
  }

  show(
    "camera",
    t("camera_title"),
    h("p.lead", {}, t("camera_intro")),
    h("div.actions.big", {},
      button(t("take_photo"), openCamera, "primary", { id: "take-photo" }),
      button(t("choose_gallery"), () => gallery.click(), "secondary", { id: "choose-photo" })),
    viewfinder, status, gallery, shooter,
  );
}

async function searchPhoto(source, go, status) {
  const again = [{ label: t("other_photo"), run: () => renderCamera(go), primary: true }];
  status.replaceChildren(busy(t("preparing")));
  try {
    const photo = await preparePhoto(source);
    stopCamera();
    status.replaceChildren(busy(t("searching")));
    const answer = await api.search(photo.blob);
    if (!answer.garments.length) throw new api.AppError("no_garment");
    if (current.photo) URL.revokeObjectURL(current.photo.url);
    const shown = { ...photo, url: URL.createObjectURL(photo.blob), id: answer.photo_id || null };
    Object.assign(current, { photo: shown, answer, garment: 0, filters: {}, refined: null });
    api.recordEvent("search", "", { garments: answer.garments.length });
    go("#/garments");
  } catch (error) {
    const retry = { label: t("retry"), run: () => searchPhoto(source, go, status) };
    status.replaceChildren(errorPanel(error, error.kind === "offline" || error.kind === "server" ? [retry, ...again] : again));
  }
}

// The current photo searched again (another garment, other filters) by the id the service gave it, so the
// photo is not uploaded again over the shopper's mobile data; sent again only once the service has forgotten it.
export async function searchAgain(options) {
  const { photo } = current;
  if (photo.id) {
    try {
      return await api.search(photo.id, options);
    } catch (error) {
      if (error.kind !== "gone") throw error;
    }
  }
  const answer = await api.search(photo.blob, options);
  photo.id = answer.photo_id || null;
  return answer;
}

export function garmentName(garment) {
  const colours = garment.colors.slice(0, 2).map((c) => colourName(c.name)).join(", ");
  return t("garment_option", { category: categoryName(garment.category.label), colors: colours });
}

export function renderGarments(go) {
  if (!current.answer) return go("#/camera");
  const { photo, answer } = current;
  const frame = h("div.photo-frame", {}, h("img", { src: photo.url, alt: t("photo_alt") }));
  const list = h("ul.garments", { "aria-label": t("garments_title") });
  answer.garments.forEach((garment, index) => {
    const pick = () => choose(index, go);
    const name = garmentName(garment);
    if (photo.width && photo.height) {
      const box = h("button.box", { type: "button", "aria-label": name, tabindex: "-1", onclick: pick });
      const r = garment.region;
      box.style.left = `${(100 * r.x) / photo.width}%`;
      box.style.top = `${(100 * r.y) / photo.height}%`;
      box.style.width = `${(100 * r.w) / photo.width}%`;
      box.style.height = `${(100 * r.h) / photo.height}%`;
      frame.append(box);
    }
    list.append(h("li", {}, h("button.garment", { type: "button", onclick: pick, "data-garment": index },
      h("span.swatch", { "aria-hidden": "true", "data-hex": garment.colors[0]?.hex || "" }), name)));
  });
  for (const swatch of list.querySelectorAll(".swatch")) swatch.style.background = swatch.dataset.hex;
  show("garments", t("garments_title"), h("p.lead", {}, t("garments_intro")), frame, list,
    button(t("other_photo"), () => go("#/camera"), "secondary"));
}

async function choose(index, go) {
  const status = document.getElementById("view");
  if (index !== current.garment) {
    status.append(busy(t("searching")));
    try {
      current.answer = { ...current.answer, ...(await searchAgain({ garment: index })) };
    } catch (error) {
      status.append(errorPanel(error, [{ label: t("retry"), run: () => choose(index, go), primary: true }]));
      return;
    }
  }
  current.garment = index;
  current.filters = {};
  current.refined = null;
  const garment = current.answer.garments[index];
  remember("searches", {
    id: `${Date.now()}`, at: new Date().toISOString(), what: garment ? garmentName(garment) : "",
    items: current.answer.results.slice(0, 4).map((r) => ({ id: r.product_id, title: r.title, image: r.image_url })),
  });
  go("#/results");
}
