// FeatSim's service worker: caches the whole built page (app shell, wasm, gallery, weights) on the
// first visit so it works offline afterwards. scripts/postbuild.mjs writes the file list and the
// build's content hash into this file at build time, so every new build is a new worker with its
// own cache, and the old cache is deleted once the new one is complete.
"use strict";

/** Replaced at build time: { version, files } (files relative to this script's folder). */
const PRECACHE = self.__FEATSIM_PRECACHE__ ?? { version: "dev", files: [] };
const CACHE = `featsim-${PRECACHE.version}`;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // `no-cache`: revalidate with the server (a stale HTTP cache cannot slip old files into a new
      // version), yet a file the page has just downloaded, such as the weights, comes back as a
      // cheap 304 instead of a second download.
      await cache.addAll(PRECACHE.files.map((f) => new Request(f, { cache: "no-cache" })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith("featsim-") && key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
      for (const client of await self.clients.matchAll()) {
        client.postMessage({ offline: "ready", version: PRECACHE.version });
      }
    })(),
  );
});

self.addEventListener("message", async (event) => {
  if (event.data === "status") {
    const ready = (await caches.keys()).includes(CACHE);
    event.source?.postMessage({ offline: ready ? "ready" : "caching", version: PRECACHE.version });
  }
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET" || new URL(req.url).origin !== self.location.origin) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      // Pages are cached once, whatever their query (?embed=1) or fragment.
      const hit = await cache.match(req, { ignoreSearch: req.mode === "navigate" });
      if (hit) return hit;
      return fetch(req);
    })(),
  );
});
