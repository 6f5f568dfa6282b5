// Hosting (issue #7): the built folder works under a sub-path, never asks another origin for
// anything (the CSP forbids it, and every request is counted here), caches itself for offline use,
// and after one visit loads and computes a heatmap with the network off.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { open, SHOTS } from "./harness.mjs";
import { clickCell, waitForHeat, waitForImage, waitReady } from "./featsim.mjs";

const PREFIX = "/featsim/";
let b;
/** Every URL any page, frame or worker of the browser asked for. */
const requests = [];

before(async () => {
  // On the CPU backend: what this file tests does not depend on the device, and on SwiftShader
  // every page load costs two 512² forward passes of about a minute each. The WebGPU path is
  // tested in boot, device-lost, similarity and voc.
  b = await open({ webgpu: false, prefix: PREFIX });
  b.page.context().on("request", (r) => requests.push(r.url()));
  await b.page.goto(b.url);
  await waitReady(b.page);
});

after(async () => {
  await b?.close();
});

test("served under a sub-path, the page asks its own origin for everything", async () => {
  const { page } = b;
  assert.ok(b.url.endsWith(PREFIX), b.url);
  await waitForImage(page, "left", "chelsea.png");
  await clickCell(page, "left", 4, 4);
  await waitForHeat(page, "right", { cell: "4,4", pinned: "true" });
  const origin = new URL(b.url).origin;
  const foreign = requests.filter((u) => !u.startsWith(origin) && !/^(data|blob):/.test(u));
  assert.deepEqual(foreign, [], "requests to other origins");
  const ours = requests.filter((u) => u.startsWith(origin));
  assert.ok(ours.every((u) => new URL(u).pathname.startsWith(PREFIX)), "every request under the sub-path");
  assert.ok(ours.some((u) => u.endsWith(".wasm")) && ours.some((u) => u.endsWith(".bpk")));
  // The policy is there, and nothing broke it (a violation is a console error).
  const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', "content");
  assert.match(csp, /connect-src 'self'/);
  assert.doesNotMatch(csp, /script-src[^;]*'unsafe-inline'/);
  assert.deepEqual(b.errors, [], "console errors");
  console.log(`${requests.length} requests, all to ${origin}${PREFIX}`);
});

test("after one visit it works offline: reload with the network off, compute a heatmap", async () => {
  const { page } = b;
  await page.waitForFunction(() => document.documentElement.dataset.offline === "ready", null, {
    timeout: 300_000,
    polling: 500,
  });
  assert.match(await page.textContent("#offline"), /available offline/i);
  await page.context().setOffline(true);
  const before = requests.length;
  await page.reload();
  await waitReady(page);
  await waitForImage(page, "left", "chelsea.png");
  await clickCell(page, "left", 7, 2);
  const m = await waitForHeat(page, "right", { cell: "7,2", pinned: "true" });
  assert.equal(m.values.length, 256);
  await page.screenshot({ path: `${SHOTS}/offline.png` });
  await page.context().setOffline(false);
  console.log(`offline reload: ${requests.length - before} requests, all answered by the service worker`);
});
