// FeatSim's service worker: stores the whole built page (app shell, wasm, gallery, weights) on the
// first visit so it works offline afterwards. scripts/precache.mjs writes this build's file list
// (each file with its SHA-256) and version into this file, so every build is a new worker with its
// own cache; the old one is deleted once the new one is complete.
//
// Caches are named per scope (`featsim:<scope>:<version>`): another deployment at another
// sub-path of the same origin keeps its own. A failed install is reported to the page (the status
// bar offers Retry) and remembered, so that the browser's update checks do not download the whole
// set again on every visit.

/** Replaced at build time: { version, files: { path: "sha256-…" } }, paths relative to this file. */
const PRECACHE = /* featsim:precache */ { version: "dev", files: {} };
const SCOPE = self.registration.scope;
const PREFIX = `featsim:${SCOPE}:`;
const CACHE = PREFIX + PRECACHE.version;
/** This scope's failed install, { version, reason } at the URL "failed"; sw-register.js's Retry deletes it. */
const FAILED = PREFIX + "failed";

/** The SRI form of a response's SHA-256 (it consumes the body). */
async function sri(res) {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", await res.arrayBuffer()));
  return "sha256-" + btoa(String.fromCharCode(...d));
}

/**
 * This scope's caches of any version: ours by name, and legacy `featsim-<hex>` caches (builds
 * before caches were named per scope) only if they hold this scope's page, since a legacy cache
 * can as well belong to another deployment on this origin.
 */
async function ours() {
  const names = [];
  for (const k of await caches.keys()) {
    const mine = k.startsWith(PREFIX) && /^[0-9a-f]{16}$/.test(k.slice(PREFIX.length));
    if (mine || (/^featsim-[0-9a-f]{16}$/.test(k) && (await (await caches.open(k)).match(SCOPE)))) names.push(k);
  }
  return names;
}

/** Tells this scope's windows, controlled or not (a first visit is not), how the copy stands. */
async function tell(msg) {
  for (const c of await self.clients.matchAll({ includeUncontrolled: true, type: "window" })) {
    if (c.url.startsWith(SCOPE)) c.postMessage(msg);
  }
}

/** Downloads one file of this build; throws a short reason naming it. */
async function download(path, integrity) {
  let res;
  try {
    // `no-cache`: revalidate (a file the page has just downloaded, such as the weights, comes back
    // as a cheap 304). `integrity`: a stale copy (a CDN, a proxy) fails instead of being stored.
    res = await fetch(new Request(path, { cache: "no-cache", integrity }));
  } catch {
    // An error page fails the hash too: a HEAD request tells the visitor which it was.
    const head = await fetch(path, { method: "HEAD", cache: "no-store" }).catch(() => null);
    if (!head) throw new Error(`${path}: network error`);
    throw new Error(`${path}: ${head.ok ? "not this build's bytes (a stale copy?)" : `HTTP ${head.status}`}`);
  }
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res;
}

/** Stores one file in `cache`: from an older cache of this scope if its bytes are this build's, else downloaded. */
async function store(cache, older, path, integrity) {
  let res = null;
  for (const name of older) {
    const hit = await (await caches.open(name)).match(path);
    if (hit && (await sri(hit.clone())) === integrity) {
      res = hit;
      break;
    }
  }
  res ??= await download(path, integrity);
  try {
    await cache.put(path, res);
  } catch (e) {
    throw new Error(`${path}: ${e.name === "QuotaExceededError" ? "storage quota exceeded" : e.message}`);
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      try {
        // A version that failed before is not tried again until the visitor presses Retry.
        const mark = (await caches.has(FAILED)) && (await (await caches.open(FAILED)).match("failed"));
        const before = mark && (await mark.json().catch(() => null));
        if (before?.version === PRECACHE.version) throw new Error(before.reason);
        const cache = await caches.open(CACHE);
        const older = (await ours()).filter((k) => k !== CACHE);
        // One file at a time: what an earlier attempt stored (checked on the way in) stays.
        for (const [path, integrity] of Object.entries(PRECACHE.files)) {
          if (!(await cache.match(path))) await store(cache, older, path, integrity);
        }
      } catch (e) {
        const failure = { version: PRECACHE.version, reason: String(e?.message ?? e) };
        const body = new Response(JSON.stringify(failure));
        await caches.open(FAILED).then((c) => c.put("failed", body)).catch(() => {});
        await tell({ offline: "failed", ...failure });
        throw e; // the install fails: the previous worker, if any, keeps serving its complete copy
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const k of await ours()) if (k !== CACHE) await caches.delete(k);
      await caches.delete(FAILED);
      await self.clients.claim();
      await tell({ offline: "ready", version: PRECACHE.version });
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data !== "status") return;
  event.waitUntil(
    (async () => {
      const ready = await caches.has(CACHE);
      event.source?.postMessage({ offline: ready ? "ready" : "caching", version: PRECACHE.version });
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET" || new URL(req.url).origin !== self.location.origin) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      // Pages are cached once, whatever their query (?embed=1) or fragment.
      const hit = await cache.match(req, { ignoreSearch: req.mode === "navigate" });
      return hit ?? fetch(req);
    })(),
  );
});
