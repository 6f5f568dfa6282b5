// Registers the service worker (sw.js) and reports on <html> whether the page is available offline:
// data-offline is "caching" while a visit stores everything, "ready" once it has, "failed" when
// storing failed (data-offline-reason names the file; the status bar offers Retry, which dispatches
// `featsim-offline-retry`), "unsupported" where there are no service workers; data-offline-version
// is the build it speaks of. Each change is announced with a `featsim-offline` event. Once the copy
// is complete it asks for persistent storage: data-offline-persist is "already", "granted",
// "denied" or "unavailable". Registration waits for the page's model (`featsim-model-settled`,
// `<html data-model="settled">`). A separate file, not inline, for the CSP.
"use strict";
(() => {
  /** This build's version, written by scripts/precache.mjs (its worker's cache carries the same). */
  const VERSION = /* featsim:version */ "dev";
  const root = document.documentElement;
  const set = (state, { reason, version } = {}) => {
    root.dataset.offline = state;
    if (reason) root.dataset.offlineReason = reason;
    else delete root.dataset.offlineReason;
    if (version) root.dataset.offlineVersion = version;
    document.dispatchEvent(new CustomEvent("featsim-offline", { detail: state }));
  };
  if (!("serviceWorker" in navigator)) return set("unsupported");

  // The scope "./" below resolves to this; another deployment on this origin has its own.
  const scope = new URL("./", document.baseURI).href;
  // A version whose install failed is remembered, and this page does not register it again until
  // the visitor presses Retry: browsers would otherwise download everything again on every visit
  // (the worker keeps a mark of its own for the browser's update checks; Retry deletes both).
  const KEY = `featsim-offline-failed:${scope}`;
  const remember = (failure) => {
    try {
      if (failure) localStorage.setItem(KEY, JSON.stringify(failure));
      else localStorage.removeItem(KEY);
    } catch {
      // no storage (e.g. a sandboxed frame): nothing is remembered
    }
  };
  const remembered = () => {
    try {
      return JSON.parse(localStorage.getItem(KEY));
    } catch {
      return null;
    }
  };

  let persisting = false;
  const persist = async () => {
    if (persisting) return;
    persisting = true;
    let outcome = "unavailable";
    try {
      if (navigator.storage?.persisted) {
        outcome = (await navigator.storage.persisted())
          ? "already"
          : (await navigator.storage.persist())
            ? "granted"
            : "denied";
      }
    } catch {
      // not offered here: the copy stays, only without the promise not to be evicted
    }
    root.dataset.offlinePersist = outcome;
  };

  // A failure shown stays until Retry: an older copy's "ready" must not hide a newer build's failure.
  let failed = false;
  navigator.serviceWorker.addEventListener("message", (e) => {
    const m = e.data;
    if (!m?.offline) return;
    if (m.offline === "failed") {
      failed = true;
      remember({ version: m.version, reason: m.reason });
      return set("failed", m);
    }
    if (failed) return;
    // A new worker took over: it stores what this visit used, then says "ready".
    if (m.offline === "installed") return keep(navigator.serviceWorker.controller);
    if (m.offline === "ready") {
      remember(null);
      persist();
    }
    set(m.offline, m);
  });

  // What this visit fetched from its own site (the model's parts, a bundle, an author's images):
  // the worker keeps it too, so the same view works offline next time.
  const keep = async (worker) => {
    worker ??= (await navigator.serviceWorker.ready).active;
    const urls = performance
      .getEntriesByType("resource")
      .map((e) => e.name)
      .filter((u) => u.startsWith(location.origin + "/"));
    worker?.postMessage({ keep: [...new Set(urls)] });
  };

  /** Resolves once `worker`'s install has ended, either way (at once for none). */
  const installEnded = (worker) =>
    new Promise((ok) => {
      const ended = () => !worker || worker.state !== "installing";
      if (ended()) return ok();
      worker.addEventListener("statechange", () => ended() && ok());
    });

  const register = ({ retry = false } = {}) =>
    navigator.serviceWorker
      .register("sw.js", { scope: "./" })
      .then(async (reg) => {
        // A worker reports its failure before its install ends, so on Retry the failed attempt
        // can still be `installing`: the check below would take it for one under way, and Retry
        // would only hear the old copy say "ready" (the likely cause of a timeout in a loaded e2e
        // run). Wait for it.
        if (retry && reg.active) await installEnded(reg.installing);
        // Look for a new build now (this is also what tries a failed one again after Retry); a
        // first install is under way already. Offline this fails, and that is fine.
        if (reg.active && !reg.installing && !reg.waiting) reg.update().catch(() => {});
        keep((await navigator.serviceWorker.ready).active);
      })
      .catch((err) => {
        console.warn("service worker not registered:", err);
        // SecurityError: service workers are off here (private windows, some settings).
        if (err?.name === "SecurityError") set("unsupported");
        else set("failed", { reason: `sw.js: ${err?.message ?? err}` });
      });

  document.addEventListener("featsim-offline-retry", async () => {
    failed = false;
    remember(null);
    set("caching");
    await caches.delete(`featsim:${scope}:failed`).catch(() => {});
    register({ retry: true });
  });

  const before = remembered();
  if (before?.version === VERSION) {
    failed = true;
    return set("failed", before);
  }
  // The copy waits until the page has its model (or has given up on it): its downloads would
  // otherwise share the network with the model's parts, which the page streams block by block,
  // and the first heatmap would come later. The page's own downloads are then in the browser's
  // cache, so the copy revalidates them instead of downloading them again.
  const start = () => {
    set("caching");
    register();
  };
  if (root.dataset.model === "settled") start();
  else document.addEventListener("featsim-model-settled", start, { once: true });
})();
