// The app's entry point: the screens by address (#/camera, #/product/ID...), the tab bar, the offline banner
// and the service worker that keeps the app shell on the phone.
import { renderCamera, renderGarments } from "./camera.js";
import { renderForYou, renderHistory } from "./feed.js";
import { setLang, t } from "./i18n.js";
import { renderProduct } from "./product.js";
import { renderHow, renderProfile } from "./profile.js";
import { renderResults } from "./results.js";
import { store } from "./store.js";
import { renderWelcome } from "./welcome.js";

const TABS = [
  ["#/camera", "nav_search", "camera"],
  ["#/for-you", "nav_for_you", "for-you"],
  ["#/history", "nav_history", "history"],
  ["#/profile", "nav_profile", "profile"],
];

const go = (address) => {
  if (location.hash === address) route();
  else location.hash = address;
};

function drawChrome(screen) {
  document.getElementById("skip").textContent = t("skip");
  document.getElementById("offline").textContent = t("offline_banner");
  const nav = document.getElementById("tabs");
  nav.setAttribute("aria-label", t("nav_label"));
  nav.hidden = screen === "welcome";
  nav.replaceChildren(...TABS.map(([href, label, name]) => {
    const link = document.createElement("a");
    link.href = href;
    link.dataset.icon = name;
    link.textContent = t(label);
    if (screen === name || (name === "camera" && ["garments", "results"].includes(screen))) link.setAttribute("aria-current", "page");
    return link;
  }));
}

function route() {
  const [, screen = "", arg = ""] = location.hash.split("/");
  const signedUp = Boolean(store.session);
  const name = !signedUp && screen !== "how" ? "welcome" : screen || "camera";
  drawChrome(name);
  const rerender = () => route();
  switch (name) {
    case "welcome": return signedUp ? go("#/camera") : renderWelcome(go, rerender);
    case "camera": return renderCamera(go);
    case "garments": return renderGarments(go);
    case "results": return renderResults(go);
    case "product": return renderProduct(decodeURIComponent(arg), go);
    case "for-you": return renderForYou(go);
    case "history": return renderHistory(go);
    case "profile": return renderProfile(go, rerender);
    case "how": return renderHow();
    default: return go("#/camera");
  }
}

function watchNetwork() {
  const banner = document.getElementById("offline");
  const update = () => { banner.hidden = navigator.onLine; };
  window.addEventListener("online", update);
  window.addEventListener("offline", update);
  update();
}

setLang(store.lang);
watchNetwork();
// The skip link focuses the screen without touching the address (which names the screen).
document.getElementById("skip").addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("view").focus();
});
window.addEventListener("hashchange", route);
route();
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => undefined);
}
