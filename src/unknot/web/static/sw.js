// Keeps what a session needs on the phone: the player page, its script and styles, the
// figures and the voice clips. Figures, clips and static files rarely change: served from the
// cache first. Pages come from the network while there is one, and from the cache when not.
"use strict";

const CACHE = "unknot-v1";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

const CLIPS_KEPT = 200; // about five sessions of voice clips; the oldest go first

async function keep(request, response) {
  const cache = await caches.open(CACHE);
  await cache.put(request, response);
  const clips = (await cache.keys()).filter((r) => new URL(r.url).pathname.startsWith("/audio/"));
  await Promise.all(clips.slice(0, Math.max(0, clips.length - CLIPS_KEPT)).map((r) => cache.delete(r)));
}

function kept(request, response) {
  if (response.ok) keep(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  const lasting = /^\/(static|figures|audio)\//.test(url.pathname);
  if (lasting) {
    event.respondWith(
      caches.match(request).then((hit) => hit || fetch(request).then((r) => kept(request, r))),
    );
  } else {
    event.respondWith(
      fetch(request).then((r) => kept(request, r)).catch(() => caches.match(request).then((hit) => hit || Response.error())),
    );
  }
});
