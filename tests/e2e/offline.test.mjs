// The offline copy (issue #15): the service worker stores every file checked against its SHA-256
// (the model's parts once a visit uses the model, as this one does),
// names its caches per scope (another deployment on the origin keeps its own), reuses unchanged
// files from the previous build, shows a failed install on the page with its reason and a Retry
// button without downloading everything again on every visit, and asks for persistent storage
// once the copy is complete.
//
// New builds are made without compiling: dist/ is copied to a temporary folder served from here
// (its requests counted), a file of the copy is changed and scripts/precache.mjs — what the build
// runs — writes that copy's list and version again. The page is opened with no gallery image
// (`#left=&right=`): it loads its weights but runs no forward pass, nothing here needs a heatmap.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "../../scripts/serve.mjs";
import { precache } from "../../scripts/precache.mjs";
import { open, SHOTS } from "./harness.mjs";

const PREFIX = "/featsim/";
const VIEW = "#left=&right=";
/** A file the page itself never asks for, so that its absence only matters to the worker. */
const README = "weights/README.md";

let b;
let site;
/** The copy of dist/ as built (build A), and each later build's list. */
let A;
let B;
let C;
const hosts = [];

/** Serves the copy at PREFIX on a free port (each port another origin): { url, hits, server }. */
async function host() {
  const hits = [];
  const server = await serve(site, 0, {
    prefix: PREFIX,
    onRequest: (u) => hits.push(new URL(u, "http://x").pathname.slice(PREFIX.length)),
  });
  const h = { server, hits, url: `http://127.0.0.1:${server.address().port}${PREFIX}` };
  hosts.push(h);
  return h;
}

/** How many requests since `from` were for `path` (relative to the prefix), or ended with it. */
const count = (h, suffix, from = 0) => h.hits.slice(from).filter((p) => p === suffix || p.endsWith(suffix)).length;

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** Waits until `pred(<html>'s dataset)` holds (the page may be reloading meanwhile); returns the dataset. */
async function waitOffline(page, pred, what, timeout = 150_000) {
  const end = Date.now() + timeout;
  let d = null;
  for (;;) {
    d = await page.evaluate(() => ({ ...document.documentElement.dataset })).catch(() => null);
    if (d && pred(d)) return d;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(d)})`);
    await sleep(250);
  }
}

/** This origin's cache names, sorted. */
const cacheNames = async (page) => (await page.evaluate(() => caches.keys())).sort();

/** Every entry of cache `name`: { url: "sha256-…" } over the stored bytes. */
const entries = (page, name) =>
  page.evaluate(async (name) => {
    const cache = await caches.open(name);
    const out = {};
    for (const req of await cache.keys()) {
      const body = await (await cache.match(req)).arrayBuffer();
      const d = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
      out[req.url] = "sha256-" + btoa(String.fromCharCode(...d));
    }
    return out;
  }, name);

/** What a complete cache of `list` holds at `url` for a visit that used the model. */
const expected = (list, url) =>
  Object.fromEntries(Object.entries({ ...list.files, ...list.model }).map(([p, i]) => [new URL(p, url).href, i]));

const sri = (bytes) => `sha256-${createHash("sha256").update(bytes).digest("base64")}`;

before(async () => {
  site = mkdtempSync(join(tmpdir(), "featsim-offline-"));
  cpSync("dist", site, { recursive: true });
  b = await open({ webgpu: false });
});

after(async () => {
  await b?.close();
  for (const h of hosts) h.server.close();
  if (site) rmSync(site, { recursive: true, force: true });
});

let h1;

test("the build's list: every file with its SHA-256, and the same list when run again", () => {
  A = precache(site);
  // Running it over the built folder again rewrites nothing (the version covers the bytes, not a run).
  for (const f of ["sw.js", "sw-register.js"]) {
    assert.ok(readFileSync(join(site, f)).equals(readFileSync(join("dist", f))), `${f} unchanged`);
  }
  assert.match(A.version, /^[0-9a-f]{16}$/);
  assert.equal(A.files["./"], A.files["index.html"]);
  assert.equal(A.files["sw.js"], undefined, "the worker itself is not precached");
  assert.equal(A.files["gallery/manifest.json"], sri(readFileSync(join(site, "gallery/manifest.json"))));
  // The model's parts are listed apart (stored once a visit uses the model), the rest at install.
  assert.ok(Object.keys(A.model).length > 0 && Object.keys(A.model).every((f) => f.endsWith(".bpk")));
  assert.ok(!Object.keys(A.files).some((f) => f.endsWith(".bpk")));
  assert.match(readFileSync(join(site, "sw-register.js"), "utf8"), new RegExp(`/\\* featsim:version \\*/ "${A.version}";`));
  // style-src without 'unsafe-inline' (the page sets styles through the CSSOM).
  const csp = readFileSync(join(site, "index.html"), "utf8").match(/http-equiv="Content-Security-Policy" content="([^"]*)"/)[1];
  assert.match(csp, /(^|; )style-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline/);
});

test("first visit: one cache named for this scope, each entry this build's bytes; persistence asked", async () => {
  const { page } = b;
  h1 = await host();
  await page.goto(h1.url + VIEW);
  await waitOffline(page, (d) => d.offline === "ready" && d.offlineVersion === A.version, "build A ready");
  assert.deepEqual(await cacheNames(page), [`featsim:${h1.url}:${A.version}`]);
  assert.deepEqual(await entries(page, `featsim:${h1.url}:${A.version}`), expected(A, h1.url));
  assert.match(await page.textContent("#offline"), /available offline/);
  assert.equal(await page.locator("#offline-retry").count(), 0);
  const d = await waitOffline(page, (d) => d.offlinePersist !== undefined, "data-offline-persist");
  assert.ok(["already", "granted", "denied"].includes(d.offlinePersist), d.offlinePersist);
  console.log(`build A: ${Object.keys(A.files).length} files, persist: ${d.offlinePersist}`);
});

test("a new build replaces only this scope's cache and downloads only what changed", async () => {
  const { page } = b;
  const origin = new URL(h1.url).origin;
  // Another deployment at /other/ on this origin (named per scope, and a legacy name), and a
  // legacy cache of this scope's own (it holds this scope's page).
  const other = `featsim:${origin}/other/:0123456789abcdef`;
  const legacyOther = "featsim-0123456789abcdef";
  const legacyOurs = "featsim-fedcba9876543210";
  await page.evaluate(async (plant) => {
    for (const [name, at] of plant) await (await caches.open(name)).put(at, new Response("another build"));
  }, [
    [other, `${origin}/other/`],
    [legacyOther, `${origin}/other/`],
    [legacyOurs, h1.url],
  ]);
  // Build B: the gallery's manifest changes (trailing whitespace, still the same JSON).
  appendFileSync(join(site, "gallery/manifest.json"), "\n");
  B = precache(site);
  assert.notEqual(B.version, A.version);
  const from = h1.hits.length;
  await page.reload();
  await waitOffline(page, (d) => d.offline === "ready" && d.offlineVersion === B.version, "build B ready");
  const ours = `featsim:${h1.url}:${B.version}`;
  assert.deepEqual(await cacheNames(page), [other, ours, legacyOther].sort());
  const stored = await entries(page, ours);
  assert.deepEqual(stored, expected(B, h1.url));
  assert.notEqual(stored[`${h1.url}gallery/manifest.json`], A.files["gallery/manifest.json"]);
  // Unchanged files came from A's cache (checked by hash), not from the network.
  assert.equal(count(h1, "gallery/manifest.json", from), 1);
  assert.equal(count(h1, "sw-register.js", from), 1);
  assert.equal(count(h1, ".wasm", from) + count(h1, ".bpk", from), 0, h1.hits.slice(from).join(" "));
});

test("a failed install shows its reason and Retry, is not retried on the next visit, and Retry resumes it", async () => {
  const { page } = b;
  const path = join(site, README);
  const stale = readFileSync(path);
  appendFileSync(path, "\nBuild C.\n");
  const fresh = readFileSync(path);
  C = precache(site);
  rmSync(path);
  let from = h1.hits.length;
  const startB = h1.hits.length;
  await page.reload();
  let d = await waitOffline(page, (d) => d.offline === "failed", "the failure");
  assert.equal(d.offlineReason, `${README}: HTTP 404`);
  assert.equal(d.offlineVersion, C.version);
  assert.equal(await page.textContent("#offline .offline-text"), `offline copy failed: ${README}: HTTP 404`);
  await page.waitForSelector("#offline-retry", { timeout: 60_000 });
  await page.locator("#status").screenshot({ path: `${SHOTS}/offline-failed.png` });
  assert.equal(count(h1, README, from), 2, "the download, then a HEAD request for the reason");
  // B's copy keeps serving meanwhile.
  assert.ok((await cacheNames(page)).includes(`featsim:${h1.url}:${B.version}`));

  // The next visit: the browser finds build C again (sw.js), and its worker gives up at once.
  from = h1.hits.length;
  await page.reload();
  d = await waitOffline(page, (d) => d.offline === "failed", "the failure, again");
  assert.equal(d.offlineReason, `${README}: HTTP 404`);
  assert.ok(count(h1, "sw.js", from) >= 1, "the visit looked for a new build");
  await sleep(1000);
  assert.equal(count(h1, README, from), 0, "no second download attempt");

  // Retry with a stale copy on the server (B's bytes, as a CDN might still have): refused by hash.
  writeFileSync(path, stale);
  from = h1.hits.length;
  await page.click("#offline-retry");
  d = await waitOffline(page, (d) => d.offline === "failed", "the stale copy refused");
  assert.equal(d.offlineReason, `${README}: not this build's bytes (a stale copy?)`);
  assert.equal(count(h1, README, from), 2);
  console.log(`stale copy: ${d.offlineReason}`);

  // The right bytes: Retry completes C, downloading only what it did not have yet.
  writeFileSync(path, fresh);
  from = h1.hits.length;
  await page.click("#offline-retry");
  await waitOffline(page, (d) => d.offline === "ready" && d.offlineVersion === C.version, "build C ready");
  const ours = `featsim:${h1.url}:${C.version}`;
  const names = await cacheNames(page);
  assert.deepEqual(names.filter((n) => n.startsWith(`featsim:${h1.url}`)), [ours]);
  assert.deepEqual(await entries(page, ours), expected(C, h1.url));
  assert.equal(count(h1, README, from), 1);
  assert.equal(count(h1, "sw-register.js", from), 0, "kept from the first attempt");
  assert.equal(count(h1, ".bpk", startB), 0, "the weights came from the previous build's cache");
  assert.match(await page.textContent("#offline"), /available offline/);
  assert.equal(await page.locator("#offline-retry").count(), 0);
  assert.equal(await page.evaluate((k) => localStorage.getItem(k), `featsim-offline-failed:${h1.url}`), null);
});

test("a first visit that fails is remembered: the next visit does not register again until Retry", async () => {
  const { page } = b;
  // Another origin (another port): no worker, no cache yet. Build C, one file missing.
  const path = join(site, README);
  const fresh = readFileSync(path);
  rmSync(path);
  const h2 = await host();
  await page.goto(h2.url + VIEW);
  let d = await waitOffline(page, (d) => d.offline === "failed", "the first visit's failure");
  assert.equal(d.offlineReason, `${README}: HTTP 404`);
  const from = h2.hits.length;
  await page.reload();
  d = await waitOffline(page, (d) => d.offline === "failed", "the failure, remembered");
  assert.equal(d.offlineReason, `${README}: HTTP 404`);
  await page.waitForSelector("#offline-retry", { timeout: 60_000 });
  await sleep(1000);
  assert.equal(count(h2, "sw.js", from) + count(h2, README, from), 0, h2.hits.slice(from).join(" "));
  writeFileSync(path, fresh);
  await page.click("#offline-retry");
  await waitOffline(page, (d) => d.offline === "ready" && d.offlineVersion === C.version, "ready after Retry");
  assert.deepEqual(await entries(page, `featsim:${h2.url}:${C.version}`), expected(C, h2.url));
  assert.deepEqual(b.errors, [], "console errors");
});
