// The product sheet: picture, price, sizes with stock, add to cart / open on the shop (with attribution),
// like / not for me / save, complete the look and similar items.
import * as api from "./api.js";
import { categoryName, colourName, money, t } from "./i18n.js";
import { drop, has, remember } from "./store.js";
import { busy, button, errorPanel, h, show, strip, toast } from "./ui.js";

// The shop sees where the visit came from.
export function shopLink(url, size = "") {
  const link = new URL(url, location.href);
  link.searchParams.set("utm_source", "stylelens");
  link.searchParams.set("utm_medium", "app");
  link.searchParams.set("utm_campaign", "visual-search");
  if (size) link.searchParams.set("size", size);
  return link.toString();
}

function sizePicker(p) {
  const sizes = p.sizes.map((size) => {
    const left = p.stock[size] || 0;
    const id = `size-${size.replace(/\W/g, "_")}`;
    return h("div.size", {},
      h("input", { type: "radio", name: "size", id, value: size, disabled: left <= 0, checked: p.sizes.length === 1 && left > 0 }),
      h("label", { for: id }, h("span", {}, size), h("small", {}, left > 0 ? t("stock_left", { n: left }) : t("sold_out"))));
  });
  return h("fieldset.sizes", {}, h("legend", {}, t("sizes")), sizes);
}

function toggle(list, key, p, item, messageKey) {
  const pressed = has(list, p.product_id);
  return button(t(key), async (event) => {
    const btn = event.currentTarget;
    const on = btn.getAttribute("aria-pressed") !== "true";
    btn.setAttribute("aria-pressed", String(on));
    if (on) {
      remember(list, item);
      if (list === "liked") drop("disliked", p.product_id);
      if (list === "disliked") drop("liked", p.product_id);
      for (const other of document.querySelectorAll("[data-feedback]")) {
        if (other !== btn && other.dataset.feedback !== "saved" && list !== "saved") other.setAttribute("aria-pressed", "false");
      }
      toast(t(messageKey));
      await api.recordEvent({ liked: "like", disliked: "dislike", saved: "save" }[list], p.product_id);
    } else {
      drop(list, p.product_id);
    }
  }, "toggle", { "aria-pressed": String(pressed), "data-feedback": list });
}

export async function renderProduct(id, go) {
  show("product", t("product_title"), busy("…"));
  let p;
  try {
    p = await api.product(id);
  } catch (error) {
    show("product", t("product_title"), errorPanel(error, [
      { label: t("retry"), run: () => renderProduct(id, go), primary: true },
      { label: t("go_home"), run: () => go("#/camera") }]));
    return;
  }
  const item = { id: p.product_id, title: p.title, image: p.image_url };
  remember("viewed", item);
  api.recordEvent("view", p.product_id);
  const picker = sizePicker(p);
  const problem = h("div", { "aria-live": "polite" });
  const chosenSize = () => picker.querySelector("input:checked")?.value || "";
  const addToCart = async () => {
    const size = chosenSize();
    if (!size) {
      problem.replaceChildren(h("p.problem", { role: "alert" }, t("choose_size")));
      return;
    }
    problem.replaceChildren();
    await api.recordEvent("add_to_cart", p.product_id, { size, quantity: 1 });
    toast(t("added_to_cart"));
    shop.href = shopLink(p.product_url, size);
  };
  const shop = h("a.button.secondary", { href: shopLink(p.product_url), target: "_blank", rel: "noopener", id: "open-shop" }, t("open_shop"));
  const look = h("section", { "aria-labelledby": "look-title" }, h("h2", { id: "look-title" }, t("complete_look")), busy("…"));
  const alike = h("section", { "aria-labelledby": "similar-title" }, h("h2", { id: "similar-title" }, t("similar")), busy("…"));
  show(
    "product",
    p.title,
    h("div.sheet", {},
      h("img.hero", { src: p.image_url, alt: p.title, width: "512", height: "512" }),
      h("p.price.big", {}, money(p.price, p.currency)),
      h("p.meta", {}, `${t("brand")} : ${p.brand} · ${categoryName(p.category)} · ${p.colors.map(colourName).join(", ")}`),
      h("p", {}, p.description),
      h("p", { class: p.in_stock ? "stock ok" : "stock out" }, p.in_stock ? t("in_stock_yes") : t("in_stock_no")),
      picker,
      problem,
      h("div.actions", {}, button(t("add_to_cart"), addToCart, "primary", { id: "add-to-cart", disabled: !p.in_stock }), shop),
      h("div.actions.feedback", { role: "group", "aria-label": t("product_title") },
        toggle("liked", "like", p, item, "liked_toast"),
        toggle("disliked", "dislike", p, item, "disliked_toast"),
        toggle("saved", "save", p, item, "saved_toast"))),
    look,
    alike,
  );
  fill(look, () => api.completeTheLook(p.product_id), t("complete_look"));
  fill(alike, () => api.similar(p.product_id), t("similar"));
}

async function fill(section, load, label) {
  try {
    const answer = await load();
    section.lastChild.replaceWith(answer.results.length ? strip(answer.results, label) : h("p", {}, t("history_empty")));
  } catch (error) {
    section.lastChild.replaceWith(errorPanel(error, [{ label: t("retry"), run: () => fill(section, load, label) }]));
  }
}
