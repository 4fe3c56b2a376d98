// On every page: the service worker (sw.js) registered, and asked to keep this page and what it
// uses, so it opens with no network from the first visit on. `keepOffline(urls)` asks it to
// keep more (the player: its figures and clips) and says, when done, how much is kept.
"use strict";

function keepOffline(urls) {
  if (!("serviceWorker" in navigator)) {
    // Only a secure context has one: https, or this machine's own address.
    return Promise.resolve({ kept: 0, failed: urls, unavailable: true });
  }
  return navigator.serviceWorker.ready.then((registration) => new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data);
    registration.active.postMessage({ keep: urls }, [channel.port2]);
  }));
}

// This page, the start page and the history, and every style sheet, script and icon (the
// server lists them in a <meta>), so any page kept opens whole with no network.
function pageAndAssets() {
  const listed = document.querySelector('meta[name="offline-assets"]');
  const assets = (listed ? listed.content : "").split(" ").filter(Boolean);
  return [location.pathname + location.search, "/", "/history", ...assets];
}

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
  keepOffline(pageAndAssets());
}
