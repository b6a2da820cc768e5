// The StyleLens API as the app uses it: JSON in and out, the session token, and errors a shopper understands.
import { lang } from "./i18n.js";
import { persist, store } from "./store.js";

// What went wrong, in the shopper's terms: offline, too_large, bad_photo, no_garment, rate, auth, not_found,
// gone (a photo the service no longer remembers), server.
export class AppError extends Error {
  constructor(kind, detail = "") {
    super(detail || kind);
    this.kind = kind;
  }
}

const KIND_BY_STATUS = { 401: "auth", 404: "not_found", 410: "gone", 413: "too_large", 415: "bad_photo", 429: "rate" };

async function call(method, path, { json, form, auth = true } = {}) {
  const headers = {};
  if (auth && store.session) headers.Authorization = `Bearer ${store.session.token}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  let answer;
  try {
    answer = await fetch(path, { method, headers, body, cache: "no-store" });
  } catch {
    throw new AppError("offline");
  }
  if (answer.ok) return answer;
  let detail = "";
  try {
    detail = (await answer.json()).detail || "";
  } catch {
    /* not JSON: keep the status */
  }
  const photoUpload = form && path.startsWith("/v1/search");
  const kind = KIND_BY_STATUS[answer.status] || (photoUpload && answer.status < 500 ? "bad_photo" : "server");
  throw new AppError(kind, detail);
}

const json = async (promise) => (await promise).json();

function query(params) {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const v of [].concat(value)) if (v !== undefined && v !== null && v !== "") q.append(name, v);
  }
  return q.toString();
}

export async function startSession() {
  const body = await json(call("POST", "/v1/auth/device", { json: { locale: lang() }, auth: false }));
  store.session = { token: body.token, shopperId: body.shopper_id };
  persist();
}

export const decideConsent = (purpose, granted) => json(call("PUT", `/v1/me/consents/${purpose}`, { json: { granted } }));
export const readConsents = () => json(call("GET", "/v1/me/consents"));
export const readMe = () => json(call("GET", "/v1/me"));
export const updateMe = (changes) => json(call("PATCH", "/v1/me", { json: changes }));
export const readTaste = () => json(call("GET", "/v1/me/taste"));
export const resetTaste = () => call("DELETE", "/v1/me/taste");
export const exportData = async () => (await call("GET", "/v1/me/export")).blob();
export const deleteAccount = () => json(call("DELETE", "/v1/me"));

// `photo` is the photo's blob, or the photo_id of an earlier answer (a string): the same photo, not sent again.
export async function search(photo, { garment = 0, category, color, maxPrice, inStock } = {}) {
  const form = new FormData();
  if (typeof photo === "string") form.append("photo_id", photo);
  else form.append("image", photo, "photo.jpg");
  form.append("limit", "24");
  form.append("garment", String(garment));
  form.append("lang", lang());
  if (category) form.append("category", category);
  if (color) form.append("color", color);
  if (maxPrice) form.append("max_price", String(maxPrice));
  if (inStock) form.append("in_stock", "true");
  return json(call("POST", "/v1/search", { form }));
}

export const product = (id) => json(call("GET", `/v1/products/${encodeURIComponent(id)}?${query({ lang: lang() })}`));

const listed = (path, extra = {}) => json(call("GET", `${path}?${query({ lang: lang(), size: sizes(), ...extra })}`));
const sizes = () => Object.values(store.sizes).filter(Boolean).slice(0, 4);

export const forYou = () => listed("/v1/for-you", { limit: 20 });
export const similar = (id) => listed(`/v1/products/${encodeURIComponent(id)}/similar`, { limit: 8 });
export const completeTheLook = (id) => listed(`/v1/products/${encodeURIComponent(id)}/complete-the-look`, { limit: 6 });
export const refine = (productId, change) =>
  json(call("POST", "/v1/search/refine", { json: { product_id: productId, change, sizes: sizes(), lang: lang() } }));

// Tell the shop what the shopper did; views and searches only with the analytics or personalisation consent.
export function recordEvent(type, productId = "", details = {}) {
  const passive = type === "view" || type === "search";
  if (passive && !store.consents.analytics && !store.consents.personalisation) return Promise.resolve();
  const event = { type, event_id: crypto.randomUUID(), product_id: productId, details };
  if (store.session) event.shopper_ref = store.session.shopperId;
  return call("POST", "/v1/events", { json: event }).catch(() => undefined);
}
