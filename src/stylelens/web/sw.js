// The service worker: keeps the app shell on the phone so the app opens without a network, and keeps catalog
// pictures already seen. API answers (search, your data) are never cached.
const SHELL_CACHE = "stylelens-shell-v1";
const IMAGE_CACHE = "stylelens-images-v1";
const IMAGE_LIMIT = 200;
const SHELL = [
  "/",
  "/index.html",
  "/app.css",
  "/manifest.webmanifest",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
  "/icons/maskable-512.png",
  "/icons/apple-touch-icon.png",
  "/icons/favicon-32.png",
  "/js/api.js",
  "/js/camera.js",
  "/js/feed.js",
  "/js/i18n.js",
  "/js/main.js",
  "/js/photo.js",
  "/js/product.js",
  "/js/profile.js",
  "/js/results.js",
  "/js/store.js",
  "/js/ui.js",
  "/js/welcome.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  const keep = new Set([SHELL_CACHE, IMAGE_CACHE]);
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => !keep.has(n)).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

// Pages: the network first (fresh app), the cached shell when offline.
async function page(request) {
  try {
    const answer = await fetch(request);
    if (answer.ok) (await caches.open(SHELL_CACHE)).put("/index.html", answer.clone());
    return answer;
  } catch {
    return (await caches.match("/index.html")) || Response.error();
  }
}

// Shell files: from the cache at once, refreshed in the background for the next launch.
async function shell(request) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(request);
  const fresh = fetch(request)
    .then((answer) => {
      if (answer.ok) cache.put(request, answer.clone());
      return answer;
    })
    .catch(() => cached || Response.error());
  return cached || fresh;
}

async function picture(request) {
  const cache = await caches.open(IMAGE_CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const answer = await fetch(request);
  if (answer.ok) {
    await cache.put(request, answer.clone());
    const keys = await cache.keys();
    if (keys.length > IMAGE_LIMIT) await cache.delete(keys[0]);
  }
  return answer;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") event.respondWith(page(request));
  else if (url.pathname.startsWith("/v1/images/")) event.respondWith(picture(request));
  else if (!url.pathname.startsWith("/v1/") && SHELL.includes(url.pathname)) event.respondWith(shell(request));
});
