// The "for you" feed and the history kept on this phone.
import * as api from "./api.js";
import { t } from "./i18n.js";
import { clearHistory, store } from "./store.js";
import { busy, button, errorPanel, grid, h, show, toast } from "./ui.js";

export async function renderForYou(go) {
  const area = h("div", {}, busy("…"));
  show("for-you", t("for_you_title"), area);
  try {
    const answer = await api.forYou();
    area.replaceChildren(
      h("p.lead", {}, answer.personalised ? t("for_you_personal") : t("for_you_generic")),
      grid(answer.results, t("for_you_title")),
    );
  } catch (error) {
    area.replaceChildren(errorPanel(error, [{ label: t("retry"), run: () => renderForYou(go), primary: true }]));
  }
}

function itemList(items) {
  if (!items.length) return h("p.hint", {}, t("history_empty"));
  return h("ul.history", {}, items.map((item) =>
    h("li", {}, h("a", { href: `#/product/${encodeURIComponent(item.id)}` },
      h("img", { src: item.image, alt: "", width: "64", height: "64", loading: "lazy" }), h("span", {}, item.title)))));
}

function section(titleKey, content) {
  const id = `history-${titleKey}`;
  return h("section", { "aria-labelledby": id }, h("h2", { id }, t(titleKey)), content);
}

export function renderHistory(go) {
  const searches = store.searches.length
    ? h("ul.history", {}, store.searches.map((s) => h("li.search", {},
        h("span", {}, `${new Date(s.at).toLocaleString(document.documentElement.lang)} — ${s.what}`),
        h("span.thumbs", {}, s.items.map((item) => h("a", { href: `#/product/${encodeURIComponent(item.id)}` },
          h("img", { src: item.image, alt: item.title, width: "56", height: "56", loading: "lazy" })))))))
    : h("p.hint", {}, t("history_empty"));
  const clear = () => {
    clearHistory();
    toast(t("history_cleared"));
    renderHistory(go);
  };
  show("history", t("history_title"),
    h("p.hint", {}, t("history_note")),
    section("history_searches", searches),
    section("history_saved", itemList(store.saved)),
    section("history_liked", itemList(store.liked)),
    section("history_viewed", itemList(store.viewed.slice(0, 12))),
    button(t("clear_history"), clear, "secondary"));
}
