// FeatSim's service worker: stores the built page (app shell, wasm, gallery) on the first visit,
// and what the visit used besides (the model's parts, a bundle's files, an author's images beside
// the page), so it works offline afterwards. scripts/precache.mjs writes this build's file list
// (each file with its SHA-256) and version into this file, so every build is a new worker with its
// own cache; the old one is deleted once the new one is complete.
//
// Caches are named per scope (`featsim:<scope>:<version>`): another deployment at another
// sub-path of the same origin keeps its own. A failed install is reported to the page (the status
// bar offers Retry) and remembered, so that the browser's update checks do not download the whole
// set again on every visit.

/**
 * Replaced at build time: { version, files: { path: "sha256-…" }, model: { … } }, paths relative
 * to this file. `files` are stored at install; `model` (the model's parts) once a visit uses the
 * model, so that an embed showing a baked bundle never downloads them.
 */
const PRECACHE = /* featsim:precache */ { version: "dev", files: {}, model: {} };
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

/** The build's list entry of a same-origin URL: its path and integrity, and whether it is a model part. */
function listed(url) {
  const path = url.startsWith(SCOPE) ? url.slice(SCOPE.length) || "./" : null;
  if (path === null) return null;
  const bare = path.split(/[?#]/)[0] || "./";
  if (bare in PRECACHE.files) return { path: bare, integrity: PRECACHE.files[bare], model: false };
  if (bare in PRECACHE.model) return { path: bare, integrity: PRECACHE.model[bare], model: true };
  return null;
}

/** Stores what a visit used before this worker controlled it, or the model's parts it now needs. */
async function keep(urls) {
  const cache = await caches.open(CACHE);
  const older = (await ours()).filter((k) => k !== CACHE);
  const model = urls.some((u) => listed(u)?.model);
  const wanted = new Set(urls.filter((u) => u.startsWith(self.location.origin) && !listed(u)));
  // A visit that used the model gets all its parts: a later one offline may need another block.
  if (model) for (const path of Object.keys(PRECACHE.model)) wanted.add(new URL(path, SCOPE).href);
  for (const url of wanted) {
    const entry = listed(url);
    if (entry) {
      if (!(await cache.match(entry.path))) await store(cache, older, entry.path, entry.integrity);
    } else if (!(await cache.match(url))) {
      // A bundle's file or an author's image: the browser's cache most likely has it.
      const res = await fetch(url).catch(() => null);
      if (res?.ok) await cache.put(url, res);
    }
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
        // The model's parts an earlier build stored (a visit used them) carry over, unchanged
        // bytes only; the others wait until a visit needs them.
        for (const [path, integrity] of Object.entries(PRECACHE.model)) {
          for (const name of older) {
            const hit = await (await caches.open(name)).match(path);
            if (hit && (await sri(hit.clone())) === integrity) {
              await cache.put(path, hit);
              break;
            }
          }
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
      await tell({ offline: "installed", version: PRECACHE.version });
    })(),
  );
});

// { keep: [urls] }: what the page used this visit (sw-register.js sends it once this worker is
// active); answered with "ready" once stored.
self.addEventListener("message", (event) => {
  const urls = event.data?.keep;
  if (!Array.isArray(urls)) return;
  event.waitUntil(
    (async () => {
      try {
        await keep(urls.filter((u) => typeof u === "string"));
        event.source?.postMessage({ offline: "ready", version: PRECACHE.version });
      } catch (e) {
        event.source?.postMessage({ offline: "failed", version: PRECACHE.version, reason: String(e?.message ?? e) });
      }
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET" || new URL(req.url).origin !== self.location.origin) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const entry = listed(req.url);
      // The build's own files: from the cache (pages once, whatever their query or fragment).
      const hit = await cache.match(entry?.path ?? req, { ignoreSearch: req.mode === "navigate" });
      if (entry || req.mode === "navigate") {
        if (hit) return hit;
        if (!entry?.model) return fetch(req);
        // A model part this visit needs: checked on the way in, kept for the next.
        const res = await fetch(new Request(req.url, { integrity: entry.integrity }));
        if (res.ok) await cache.put(entry.path, res.clone());
        return res;
      }
      // Anything else on this site (a bundle, an author's image): the network first, so an
      // author's new version shows; the copy kept when offline.
      try {
        const res = await fetch(req);
        if (res.ok && hit) await cache.put(req, res.clone());
        return res;
      } catch (e) {
        if (hit) return hit;
        throw e;
      }
    })(),
  );
});
