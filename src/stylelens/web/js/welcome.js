// First launch: what the app does and a separate choice for each use of data; only photo analysis is required
// to search, and nothing is ticked in advance.
import { decideConsent, startSession } from "./api.js";
import { setLang, t } from "./i18n.js";
import { persist, store } from "./store.js";
import { button, errorPanel, h, show } from "./ui.js";

const PURPOSES = [
  ["photo_processing", "consent_photo", "consent_photo_text", true],
  ["personalisation", "consent_personalisation", "consent_personalisation_text", false],
  ["analytics", "consent_analytics", "consent_analytics_text", false],
];

export function consentChoice(purpose, label, text, required, checked, onchange) {
  const id = `consent-${purpose}`;
  return h(
    "div.choice",
    {},
    h("input", { type: "checkbox", id, name: purpose, checked, "aria-describedby": `${id}-text`, onchange }),
    h("label", { for: id }, h("strong", {}, t(label)), " ", h("span.tag", {}, required ? t("required") : t("optional"))),
    h("p.hint", { id: `${id}-text` }, t(text)),
  );
}

export function languageSwitch(onchange) {
  const select = h(
    "select",
    { id: "language", onchange: () => onchange(select.value) },
    h("option", { value: "fr", selected: store.lang === "fr" }, "Français"),
    h("option", { value: "en", selected: store.lang === "en" }, "English"),
  );
  return h("div.field", {}, h("label", { for: "language" }, t("language")), select);
}

export function renderWelcome(go, rerender) {
  const problem = h("div", { id: "consent-problem" });
  const form = h(
    "form.stack",
    { novalidate: true, "aria-describedby": "consent-problem" },
    h("fieldset", {}, h("legend.visually-hidden", {}, t("consents")),
      PURPOSES.map(([purpose, label, text, required]) => consentChoice(purpose, label, text, required, false))),
    problem,
    h("div.actions", {},
      h("button.primary", { type: "submit" }, t("continue")),
      button(t("browse_without"), () => finish(false), "secondary")),
  );
  const chosen = () => Object.fromEntries(PURPOSES.map(([p]) => [p, form.elements[p].checked]));

  async function finish(needPhoto) {
    const choices = chosen();
    if (needPhoto && !choices.photo_processing) {
      problem.replaceChildren(h("p.problem", { role: "alert" }, t("consent_needed")));
      form.elements.photo_processing.focus();
      return;
    }
    problem.replaceChildren(h("p.busy", { role: "status" }, "…"));
    try {
      if (!store.session) await startSession();
      for (const [purpose, granted] of Object.entries(choices)) await decideConsent(purpose, granted);
      store.consents = choices;
      persist();
      go(choices.photo_processing ? "#/camera" : "#/for-you");
    } catch (error) {
      problem.replaceChildren(errorPanel(error, [{ label: t("retry"), run: () => finish(needPhoto), primary: true }]));
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    finish(true);
  });
  const switchLang = (value) => {
    store.lang = value;
    setLang(value);
    persist();
    rerender();
  };
  show("welcome", t("welcome_title"), h("p.lead", {}, t("welcome_intro")), languageSwitch(switchLang), form);
}
