// The results grid of a photo search: filters (category, colour, price, size, stock) and "like this but..." chips.
import * as api from "./api.js";
import { current, garmentName, searchAgain } from "./camera.js";
import { CATEGORIES, CHANGES, COLOURS, categoryName, colourName, t } from "./i18n.js";
import { busy, button, errorPanel, grid, h, notice, show } from "./ui.js";

const SIZES = ["XS", "S", "M", "L", "XL", ...Array.from({ length: 10 }, (_, i) => String(36 + i))];

function select(name, label, options, value) {
  const id = `filter-${name}`;
  return h("div.field", {}, h("label", { for: id }, label),
    h("select", { id, name }, h("option", { value: "" }, t("any")),
      options.map(([v, text]) => h("option", { value: v, selected: v === value }, text))));
}

function filterForm(go) {
  const f = current.filters;
  const form = h(
    "form.filters.stack",
    {},
    select("category", t("category"), CATEGORIES.map((c) => [c, categoryName(c)]), f.category),
    select("color", t("colour"), COLOURS.map((c) => [c, colourName(c)]), f.color),
    h("div.field", {}, h("label", { for: "filter-max-price" }, t("max_price")),
      h("input", { id: "filter-max-price", name: "maxPrice", type: "number", min: "1", step: "1", inputmode: "numeric", value: f.maxPrice || "" })),
    select("size", t("size"), SIZES.map((s) => [s, s]), f.size),
    h("div.choice", {}, h("input", { type: "checkbox", id: "filter-in-stock", name: "inStock", checked: !!f.inStock }),
      h("label", { for: "filter-in-stock" }, t("in_stock"))),
    h("div.actions", {}, h("button.primary", { type: "submit" }, t("apply")),
      button(t("reset"), () => { current.filters = {}; run(go); }, "secondary")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    current.filters = {
      category: data.get("category") || "", color: data.get("color") || "", maxPrice: Number(data.get("maxPrice")) || 0,
      size: data.get("size") || "", inStock: data.get("inStock") === "on",
    };
    run(go);
  });
  const open = Object.values(f).some(Boolean);
  return h("details.filters-box", { open }, h("summary", {}, t("filters")), form);
}

// Search again with the filters; the size filter keeps items with that size in stock (checked per product).
async function run(go) {
  const area = document.getElementById("results-area");
  area.replaceChildren(busy(t("searching")));
  try {
    const { size, ...filters } = current.filters;
    const answer = await searchAgain({ garment: current.garment, ...filters });
    let results = answer.results;
    if (size) {
      const details = await Promise.all(results.map((r) => api.product(r.product_id).catch(() => null)));
      results = results.filter((r, i) => details[i] && (details[i].stock[size] || 0) > 0);
    }
    current.answer = { ...current.answer, results };
    renderResults(go);
  } catch (error) {
    area.replaceChildren(errorPanel(error, [{ label: t("retry"), run: () => run(go), primary: true }]));
  }
}

async function refine(change, go) {
  const first = current.answer.results[0];
  const area = document.getElementById("results-area");
  area.replaceChildren(busy(t("searching")));
  try {
    const answer = await api.refine(first.product_id, change);
    current.refined = { change, title: first.title, results: answer.results };
    renderResults(go);
  } catch (error) {
    area.replaceChildren(errorPanel(error, [{ label: t("retry"), run: () => refine(change, go), primary: true }]));
  }
}

function chips(go) {
  return h("div.chips", { role: "group", "aria-labelledby": "chips-label" },
    h("p", { id: "chips-label" }, t("like_this_but")),
    CHANGES.map((change) => button(t(`change_${change}`), () => refine(change, go), "chip", { "data-change": change })));
}

export function renderResults(go) {
  if (!current.answer) {
    show("results", t("results_title"), notice(t("no_search_yet"), button(t("take_photo"), () => go("#/camera"), "primary")));
    return;
  }
  const garment = current.answer.garments[current.garment];
  const what = garment ? h("p.lead", {}, t("results_for", { what: garmentName(garment) })) : null;
  const area = h("div", { id: "results-area" });
  if (current.refined) {
    const { change, title, results } = current.refined;
    area.append(h("p.lead", {}, t("refined", { title, change: t(`change_${change}`) })),
      button(t("back_to_photo"), () => { current.refined = null; renderResults(go); }, "secondary"),
      grid(results, t("results_title")));
  } else if (current.answer.results.length) {
    area.append(chips(go), grid(current.answer.results, t("results_title")));
  } else {
    area.append(notice(`${t("no_results")} ${t("loosen")}`,
      button(t("reset"), () => { current.filters = {}; run(go); }, "primary")));
  }
  show("results", t("results_title"), what, filterForm(go), area);
}
