// Small DOM building blocks shared by the screens: elements, headings, cards, notices, errors and toasts.
import { money, t } from "./i18n.js";

// h("button.primary", {type: "button", onclick}, "text", child...) -> element. Attributes starting with "on"
// are listeners; "class" may also come in the tag. Never sets innerHTML: text stays text.
export function h(tag, attrs = {}, ...children) {
  const [name, ...classes] = tag.split(".");
  const el = document.createElement(name);
  if (classes.length) el.className = classes.join(" ");
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.classList.add(...String(value).split(" ").filter(Boolean));
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const view = () => document.getElementById("view");

// Replace the screen: a title (h1, focused for screen readers and keyboards) and its content.
export function show(name, title, ...content) {
  const main = view();
  const heading = h("h1", { tabindex: "-1", id: "screen-title" }, title);
  main.dataset.screen = name;
  main.replaceChildren(heading, ...content.filter((part) => part !== null && part !== undefined && part !== false));
  document.title = `${title} · StyleLens`;
  heading.focus({ preventScroll: true });
  window.scrollTo(0, 0);
  return main;
}

export function busy(text) {
  return h("p.busy", { role: "status", "aria-live": "polite" }, h("span.spinner", { "aria-hidden": "true" }), text);
}

// An error a shopper understands, with ways forward: [{label, run, primary}].
export function errorPanel(error, actions = []) {
  const kind = error && error.kind ? error.kind : "server";
  const panel = h(
    "div.error",
    { role: "alert", "data-error": kind },
    h("h2", {}, t(`err_${kind}_title`)),
    h("p", {}, t(`err_${kind}`)),
    h("div.actions", {}, actions.map((a) => h(a.primary ? "button.primary" : "button.secondary", { type: "button", onclick: a.run }, a.label))),
  );
  return panel;
}

export function toast(text) {
  const box = document.getElementById("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 4000);
}

// A product card: picture, title, price, the reasons it is shown; the whole card opens the product sheet.
export function card(item) {
  const reasons = (item.reasons || []).slice(0, 2);
  return h(
    "li.card",
    {},
    h(
      "a",
      { href: `#/product/${encodeURIComponent(item.product_id)}`, "data-product": item.product_id },
      h("img", { src: item.image_url, alt: "", loading: "lazy", width: "256", height: "256" }),
      h("span.title", {}, item.title),
      h("span.price", {}, money(item.price, item.currency)),
      item.in_stock === false ? h("span.badge", {}, t("in_stock_no")) : null,
      reasons.length ? h("ul.reasons", { "aria-label": t("reasons") }, reasons.map((r) => h("li", {}, r))) : null,
    ),
  );
}

export function grid(items, label) {
  return h("ul.grid", { "aria-label": label }, items.map(card));
}

// A horizontal strip of cards (complete the look, similar items).
export function strip(items, label) {
  return h("ul.strip", { "aria-label": label }, items.map(card));
}

export function notice(text, ...actions) {
  return h("div.notice", {}, h("p", {}, text), actions.length ? h("div.actions", {}, actions) : null);
}

export function button(label, run, kind = "secondary", attrs = {}) {
  return h(`button.${kind}`, { type: "button", onclick: run, ...attrs }, label);
}
