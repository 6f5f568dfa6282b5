// Soak (issue #15): 50 images opened one after another in the right panel — gallery photos and
// the visitor's files (VOC photos from ../shared/voc) — then a heatmap. What the page holds must
// level off rather than grow with every image: the wasm linear memory (which only ever grows, so
// it is a high-water mark) and the GPU memory burn's allocator has reserved. The curve is printed
// and written to target/e2e/soak.json.
//
// On WebGPU (the GPU side is the point) at 224² so that SwiftShader's forward passes stay short.
// Images are opened without waiting for their features (the worker's latest-wins rule skips what a
// newer image supersedes, as it does for a visitor clicking through photos), except every tenth,
// whose heatmap is waited for.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { open, SHOTS } from "./harness.mjs";
import { VOC, clickCell, waitForHeat, waitForImage, waitReady } from "./featsim.mjs";

const N = 50;
/** Samples are taken every this many images. */
const EVERY = 5;
/** Growth allowed from the sample after the first 10 images to the end, in bytes. */
const SLACK = 16 << 20;

let b;

before(async () => {
  b = await open({ webgpu: true });
  await b.page.goto(`${b.url}#size=224`);
  await waitReady(b.page);
  await waitForImage(b.page, "left", "chelsea.png");
});

after(async () => {
  await b?.close();
});

/** { wasm, gpu_reserved, gpu_in_use, gpu_allocs } from the page's probe. */
const probe = (page) => page.evaluate(() => JSON.parse(window.wasmBindings.featsim_test_memory()));

test(`${N} images one after another, then a heatmap: memory levels off`, async () => {
  const { page } = b;
  const gallery = JSON.parse(readFileSync("gallery/manifest.json", "utf8")).images.map((g) => g.file);
  const photos = readdirSync(join(VOC, "JPEGImages")).filter((f) => f.endsWith(".jpg")).sort();
  assert.ok(photos.length >= N, `${photos.length} VOC photos`);
  const curve = [{ images: 0, ...(await probe(page)) }];
  let last = "";
  for (let i = 1; i <= N; i++) {
    // Every third image from the gallery (never the same one twice in a row), the rest as files.
    if (i % 3 === 0) {
      last = gallery[(i / 3) % gallery.length];
      if (last === (await page.locator("#right-stage").getAttribute("data-image"))) last = gallery[(i / 3 + 1) % gallery.length];
      await page.selectOption("#right-gallery", last);
    } else {
      last = photos[i];
      await page.setInputFiles("#right-file", join(VOC, "JPEGImages", last));
    }
    await waitForImage(page, "right", last);
    // Every tenth image is seen through: its features computed and its heatmap shown, so the
    // feature cache fills and evicts and the GPU allocator serves new inputs.
    if (i % 10 === 0) await waitForHeat(page, "right", { image: last }, 300_000);
    if (i % EVERY === 0) curve.push({ images: i, ...(await probe(page)) });
  }
  await clickCell(page, "left", 3, 3);
  const m = await waitForHeat(page, "right", { cell: "3,3", pinned: "true", image: last }, 300_000);
  assert.equal(m.rows, 7);
  curve.push({ images: N, heatmap: true, ...(await probe(page)) });
  await page.screenshot({ path: `${SHOTS}/soak.png` });
  writeFileSync(`${SHOTS}/soak.json`, JSON.stringify(curve, null, 1));
  const mb = (v) => (v / 1e6).toFixed(1);
  for (const s of curve) {
    console.log(`after ${s.images} images${s.heatmap ? " + heatmap" : ""}: wasm ${mb(s.wasm)} MB, GPU reserved ${mb(s.gpu_reserved)} MB (${s.gpu_allocs} allocations, ${mb(s.gpu_in_use)} MB in use)`);
  }
  const at10 = curve.find((s) => s.images === 10);
  const end = curve.at(-1);
  assert.ok(end.wasm <= at10.wasm + SLACK, `wasm memory grew from ${mb(at10.wasm)} to ${mb(end.wasm)} MB`);
  assert.ok(end.gpu_reserved <= at10.gpu_reserved + SLACK, `GPU memory grew from ${mb(at10.gpu_reserved)} to ${mb(end.gpu_reserved)} MB`);
  assert.deepEqual(b.errors, [], "console errors");
});
