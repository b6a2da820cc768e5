// Profile: sizes, taste, privacy (consents, download my data, delete my account), language, and the
// "how recommendations work" page.
import * as api from "./api.js";
import { categoryName, colourName, lang, setLang, t } from "./i18n.js";
import { forget, persist, store } from "./store.js";
import { busy, button, errorPanel, h, show, toast } from "./ui.js";
import { consentChoice, languageSwitch } from "./welcome.js";

const SIZE_CHOICES = {
  top: ["XS", "S", "M", "L", "XL"],
  bottom: ["XS", "S", "M", "L", "XL"],
  shoes: Array.from({ length: 10 }, (_, i) => String(36 + i)),
};

function sizesForm() {
  const fields = Object.entries(SIZE_CHOICES).map(([part, choices]) => {
    const id = `my-size-${part}`;
    return h("div.field", {}, h("label", { for: id }, t(`size_${part}`)),
      h("select", { id, name: part }, h("option", { value: "" }, "—"),
        choices.map((c) => h("option", { value: c, selected: store.sizes[part] === c }, c))));
  });
  const form = h("form.stack", {}, fields, h("button.primary", { type: "submit" }, t("save_sizes")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const sizes = Object.fromEntries(Object.keys(SIZE_CHOICES).map((part) => [part, form.elements[part].value]));
    try {
      await api.updateMe({ sizes: Object.fromEntries(Object.entries(sizes).filter(([, v]) => v)) });
      store.sizes = sizes;
      persist();
      toast(t("sizes_saved"));
    } catch (error) {
      form.append(errorPanel(error, []));
    }
  });
  return form;
}

async function tasteBox(box) {
  try {
    const taste = await api.readTaste();
    const top = (weights, name) => Object.entries(weights).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k]) => name(k));
    const liked = [...top(taste.colors, colourName), ...top(taste.categories, categoryName)];
    const reset = async () => {
      await api.resetTaste().catch(() => undefined);
      toast(t("taste_reset_done"));
      tasteBox(box);
    };
    // The service describes the taste in English; in French, the chips below say it.
    const words = !taste.personalised ? t("taste_off") : lang() === "en" ? taste.description : t("taste_on");
    const parts = [h("p", {}, words), button(t("taste_reset"), reset, "secondary")];
    if (liked.length) parts.splice(1, 0, h("ul.chips.static", { "aria-label": t("my_taste") }, liked.map((x) => h("li", {}, x))));
    box.replaceChildren(...parts);
  } catch (error) {
    box.replaceChildren(errorPanel(error, [{ label: t("retry"), run: () => tasteBox(box) }]));
  }
}

function consentsBox() {
  const purposes = [
    ["photo_processing", "consent_photo", "consent_photo_text", true],
    ["personalisation", "consent_personalisation", "consent_personalisation_text", false],
    ["analytics", "consent_analytics", "consent_analytics_text", false],
  ];
  return h("fieldset", {}, h("legend", {}, t("consents")), purposes.map(([purpose, label, text, required]) =>
    consentChoice(purpose, label, text, required, store.consents[purpose], async (event) => {
      const granted = event.currentTarget.checked;
      try {
        await api.decideConsent(purpose, granted);
        store.consents[purpose] = granted;
        persist();
        toast(t("consent_saved"));
      } catch (error) {
        event.currentTarget.checked = !granted;
        toast(t(`err_${error.kind}`));
      }
    })));
}

async function download() {
  try {
    const blob = await api.exportData();
    const url = URL.createObjectURL(blob);
    const link = h("a", { href: url, download: "stylelens-my-data.zip" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    toast(t("download_done"));
  } catch (error) {
    toast(`${t(`err_${error.kind}_title`)} — ${t(`err_${error.kind}`)}`);
  }
}

function deleteBox(go) {
  const box = h("div", { id: "delete-box" });
  const ask = () => {
    const confirmDelete = async () => {
      box.replaceChildren(busy("…"));
      try {
        await api.deleteAccount();
        forget();
        go("#/welcome");
        toast(t("account_deleted"));
      } catch (error) {
        box.replaceChildren(errorPanel(error, [{ label: t("retry"), run: confirmDelete, primary: true }]));
      }
    };
    box.replaceChildren(h("div.confirm", { role: "alertdialog", "aria-labelledby": "delete-q" },
      h("p", { id: "delete-q" }, t("delete_confirm")),
      h("div.actions", {}, button(t("delete_yes"), confirmDelete, "danger", { id: "confirm-delete" }),
        button(t("cancel"), () => box.replaceChildren(), "secondary"))));
    box.querySelector("#confirm-delete").focus();
  };
  return [button(t("delete_account"), ask, "danger", { id: "delete-account" }), box];
}

export function renderProfile(go, rerender) {
  const taste = h("div", {}, busy("…"));
  const switchLang = (value) => {
    store.lang = value;
    setLang(value);
    persist();
    api.updateMe({ locale: value }).catch(() => undefined);
    rerender();
  };
  show("profile", t("profile_title"),
    languageSwitch(switchLang),
    h("section", { "aria-labelledby": "sizes-title" }, h("h2", { id: "sizes-title" }, t("my_sizes")), sizesForm()),
    h("section", { "aria-labelledby": "taste-title" }, h("h2", { id: "taste-title" }, t("my_taste")), taste),
    h("section", { "aria-labelledby": "privacy-title" }, h("h2", { id: "privacy-title" }, t("privacy")),
      consentsBox(),
      h("div.actions.column", {}, button(t("download_data"), download, "secondary", { id: "download-data" }), ...deleteBox(go))),
    h("p", {}, h("a.more", { href: "#/how" }, t("how_link"))));
  tasteBox(taste);
}

export function renderHow() {
  show("how", t("how_title"), ...t("how_body").map((text) => h("p", {}, text)),
    h("p", {}, h("a.more", { href: "#/profile" }, t("back"))));
}
