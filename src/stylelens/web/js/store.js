// What the app remembers on this phone (localStorage): the session, the consents, the language, the sizes and a
// local history. No photo is ever kept here.
const KEY = "stylelens.v1";
const HISTORY_LIMIT = 30;

const blank = () => ({
  session: null, // {token, shopperId}
  consents: { photo_processing: false, personalisation: false, analytics: false },
  lang: "fr",
  sizes: { top: "", bottom: "", shoes: "" },
  searches: [], // {at, what, items: [{id, title, image}]}
  viewed: [], liked: [], disliked: [], saved: [], // [{id, title, image}]
});

function load() {
  try {
    return { ...blank(), ...JSON.parse(localStorage.getItem(KEY) || "{}") };
  } catch {
    return blank();
  }
}

export const store = load();

export function persist() {
  localStorage.setItem(KEY, JSON.stringify(store));
}

export function forget() {
  localStorage.removeItem(KEY);
  Object.assign(store, blank());
}

// Put an item first in a list of items (no duplicates, bounded).
export function remember(list, item) {
  const kept = store[list].filter((x) => x.id !== item.id);
  store[list] = [item, ...kept].slice(0, HISTORY_LIMIT);
  persist();
}

export function drop(list, id) {
  store[list] = store[list].filter((x) => x.id !== id);
  persist();
}

export function has(list, id) {
  return store[list].some((x) => x.id === id);
}

export function clearHistory() {
  for (const list of ["searches", "viewed", "liked", "disliked", "saved"]) store[list] = [];
  persist();
}

export function sizeParams() {
  return Object.values(store.sizes).filter(Boolean);
}
