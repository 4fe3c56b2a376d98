// Keeps what a session needs on the phone, from the first visit: each page asks it to keep the
// page itself and everything the page uses (offline.js; the player adds every figure, move and
// voice clip of its plan), since the page that registered this worker was fetched without it.
// Figures, clips and static files do not change at one address: served from the cache first.
// Pages come from the network while there is one, and from the cache when not.
"use strict";

const CACHE = "unknot-v2";
// The oldest go first: about five sessions of voice clips, and the last pages visited.
const KEPT = { "/audio/": 200, "/play": 12, "/plan": 12 };

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

async function trim(cache) {
  const urls = await cache.keys(); // in the order they were put
  for (const [path, most] of Object.entries(KEPT)) {
    const these = urls.filter((r) => new URL(r.url).pathname.startsWith(path));
    await Promise.all(these.slice(0, Math.max(0, these.length - most)).map((r) => cache.delete(r)));
  }
}

async function keep(request, response) {
  const cache = await caches.open(CACHE);
  await cache.delete(request); // put again at the end: the most recent, kept longest
  await cache.put(request, response);
  await trim(cache);
}

function kept(request, response) {
  if (response.ok) keep(request, response.clone());
  return response;
}

function ours(url) {
  return url.origin === self.location.origin && !url.pathname.startsWith("/api/");
}

const lasting = (url) => /^\/(static|figures|audio)\//.test(url.pathname);

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || !ours(url)) return;
  if (lasting(url)) {
    event.respondWith(
      caches.match(request).then((hit) => hit || fetch(request).then((r) => kept(request, r))),
    );
  } else {
    event.respondWith(
      fetch(request).then((r) => kept(request, r)).catch(() => caches.match(request).then((hit) => hit || Response.error())),
    );
  }
});

// {keep: [url, ...]} from a page: each one not kept yet is fetched and kept, one after the
// other (a clip waits for the voice, in the order the page gave); the answer, on the port
// given, counts what is kept and what could not be.
self.addEventListener("message", (event) => {
  const urls = event.data && Array.isArray(event.data.keep) ? event.data.keep : null;
  if (!urls || !event.ports[0]) return;
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const failed = [];
    for (const given of urls) {
      const url = new URL(String(given), self.location.origin);
      if (!ours(url)) continue;
      const hit = await cache.match(url.href);
      // Pages are kept again each visit (they change: a plan's figures, a history's rows).
      if (hit && lasting(url)) continue;
      try {
        const response = await fetch(url.href, { credentials: "same-origin" });
        if (!response.ok) throw new Error(String(response.status));
        await cache.put(url.href, response);
      } catch {
        if (!hit) failed.push(url.pathname);
      }
    }
    await trim(cache);
    event.ports[0].postMessage({ kept: urls.length - failed.length, failed });
  })());
});
