// The host-page API of an embed (issue #12): a blog page on its own origin drives a baked embed
// with postMessage and hears back from it; a frame of a third origin on the same page is
// ignored, malformed messages are ignored without a console error, and an embed below the fold
// fetches nothing heavy until it is scrolled into view.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open, SHOTS } from "./harness.mjs";
import { featsim, waitForHeat } from "./featsim.mjs";
import { serve } from "../../scripts/serve.mjs";

const BLOCKS = "weights/blocks/resnet50-imagenet.blocks.json";
let site, blogDir, evilDir, blog, evil, b, frame;
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

before(async () => {
  site = mkdtempSync(join(tmpdir(), "featsim-host-"));
  cpSync("dist", site, { recursive: true });
  featsim(["bake", "--weights", BLOCKS, "--out", join(site, "figs/cat"), "gallery/chelsea.png", "gallery/coffee.png"]);
  cpSync(join(site, "figs/cat"), join(site, "figs/below"), { recursive: true });
  b = await open({ webgpu: false, root: site });
  const featsimOrigin = new URL(b.url).origin;
  evilDir = mkdtempSync(join(tmpdir(), "featsim-evil-"));
  writeFileSync(join(evilDir, "index.html"), "<!doctype html><title>another site</title><p>ads</p>");
  evil = await serve(evilDir, 0);
  blogDir = mkdtempSync(join(tmpdir(), "featsim-blog-"));
  const src = (dir) => `${b.url}?embed=1#bundle=figs/${dir}&block=layer4&cell=5,9&side=left&left=chelsea.png&right=coffee.png`;
  writeFileSync(join(blogDir, "index.html"), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A post</title><link rel="icon" href="data:,"></head>
<body><h1>Where is the cat's ear?</h1>
<p><a href="#" id="ear">Click the ear</a> or <a href="#" id="l3">look at layer3</a>.</p>
<iframe id="fig" src="${src("cat")}" width="800" height="420" style="border:0" title="FeatSim"></iframe>
<iframe id="ad" src="http://127.0.0.1:${evil.address().port}/" width="300" height="100"></iframe>
<div style="height:3000px"></div>
<iframe id="below" src="${src("below")}" width="800" height="420" style="border:0" title="FeatSim below"></iframe>
<script>
  const FEATSIM = ${JSON.stringify(featsimOrigin)};
  const fig = document.getElementById("fig");
  window.__got = [];
  addEventListener("message", (e) => {
    if (e.origin === FEATSIM && e.source === fig.contentWindow) __got.push(e.data);
  });
  window.send = (msg) => fig.contentWindow.postMessage(msg, FEATSIM);
  document.getElementById("ear").onclick = (e) => { e.preventDefault(); send({ type: "featsim:set", cell: [3, 12] }); };
  document.getElementById("l3").onclick = (e) => { e.preventDefault(); send({ type: "featsim:set", block: "layer3" }); };
</script></body></html>`);
  blog = await serve(blogDir, 0);
  await b.page.goto(`http://127.0.0.1:${blog.address().port}/`);
  frame = await (await b.page.locator("#fig").elementHandle()).contentFrame();
});

after(async () => {
  await b?.close();
  blog?.close();
  evil?.close();
  for (const d of [site, blogDir, evilDir]) if (d) rmSync(d, { recursive: true, force: true });
});

/** The messages the blog page received from the figure, of `type`. */
const got = (type) => b.page.evaluate((t) => window.__got.filter((m) => m.type === t), type);

async function waitGot(type, pred = () => true) {
  const end = Date.now() + 60_000;
  for (;;) {
    const all = await got(type);
    const hit = all.find(pred);
    if (hit) return hit;
    if (Date.now() > end) throw new Error(`no ${type} message (got ${JSON.stringify(await b.page.evaluate(() => window.__got))})`);
    await sleep(200);
  }
}

test("the figure says it is ready, and a link in the post moves its cell", async () => {
  await waitForHeat(frame, "right", { cell: "5,9", pinned: "true", block: "layer4" });
  const ready = await waitGot("featsim:ready");
  assert.deepEqual(ready.blocks, ["layer3", "layer4"]);
  assert.deepEqual(ready.images, ["chelsea.png", "coffee.png"]);
  assert.equal(ready.size, 512);
  await b.page.click("#ear");
  const m = await waitForHeat(frame, "right", { cell: "3,12", pinned: "true", block: "layer4" });
  assert.deepEqual((await waitGot("featsim:cell", (c) => c.cell[0] === 3)).cell, [3, 12]);
  const map = await waitGot("featsim:map", (x) => x.cell[0] === 3 && x.cell[1] === 12);
  assert.equal(map.values.length, m.rows * m.cols);
  assert.ok(map.values.every((v, i) => Math.abs(v - m.values[i]) < 1e-6), "the values the page shows");
  await b.page.click("#l3");
  await waitForHeat(frame, "right", { block: "layer3", pinned: "true" });
  assert.equal((await waitGot("featsim:block", (x) => x.block === "layer3")).block, "layer3");
  await b.page.screenshot({ path: `${SHOTS}/host-api.png` });
});

test("a frame of another origin is not listened to, and malformed messages change nothing quietly", async () => {
  const before = await waitForHeat(frame, "right", { block: "layer3", pinned: "true" });
  const ad = await (await b.page.locator("#ad").elementHandle()).contentFrame();
  await ad.evaluate(() => parent.frames[0].postMessage({ type: "featsim:set", cell: [1, 1], block: "layer4" }, "*"));
  await b.page.evaluate(() => {
    const cyclic = { type: "featsim:set" };
    cyclic.self = cyclic;
    for (const m of [
      "featsim:set",
      null,
      42,
      [1, 2],
      { type: 5 },
      { type: "featsim:set", cell: "1,1" },
      { type: "featsim:set", block: "layer9" },
      { type: "featsim:set", cell: [1, 1], side: "up" },
      { type: "featsim:unknown", cell: [1, 1] },
      cyclic,
    ]) {
      send(m);
    }
  });
  await sleep(2000);
  const after = await waitForHeat(frame, "right", { block: "layer3", pinned: "true" });
  assert.equal(after.cell, before.cell, "the cell did not move");
  assert.deepEqual(b.errors, [], "console errors");
});

test("an embed below the fold fetches its bundle only once it is scrolled into view", async () => {
  const asked = () => b.requests.filter((u) => u.includes("/figs/below/"));
  await sleep(1500);
  assert.deepEqual(asked(), [], "nothing of the lower figure's bundle yet");
  await b.page.locator("#below").scrollIntoViewIfNeeded();
  const below = await (await b.page.locator("#below").elementHandle()).contentFrame();
  await waitForHeat(below, "right", { cell: "5,9", block: "layer4" });
  assert.ok(asked().some((u) => u.endsWith("/figs/below/bundle.json")));
  assert.deepEqual(b.requests.filter((u) => u.endsWith(".bpk")), [], "no weights for baked figures");
});
