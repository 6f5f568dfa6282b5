// Registers the service worker (sw.js) and reports on <html data-offline="…"> whether the page is
// available offline: "caching" while the first visit stores everything, "ready" once it has, and
// "unsupported" where there are no service workers. A separate file, not inline, for the CSP.
"use strict";
(() => {
  const root = document.documentElement;
  const set = (state) => {
    root.dataset.offline = state;
    document.dispatchEvent(new CustomEvent("featsim-offline", { detail: state }));
  };
  if (!("serviceWorker" in navigator)) return set("unsupported");
  navigator.serviceWorker.addEventListener("message", (e) => {
    if (e.data && e.data.offline) set(e.data.offline);
  });
  set("caching");
  navigator.serviceWorker
    .register("sw.js", { scope: "./" })
    .then(async () => {
      const reg = await navigator.serviceWorker.ready;
      reg.active?.postMessage("status");
    })
    .catch((err) => {
      console.warn("service worker not registered:", err);
      set("unsupported");
    });
})();
