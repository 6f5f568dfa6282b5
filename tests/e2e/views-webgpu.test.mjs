// Explore's views on WebGPU (issue #16): PCA colours, correspondences, why alike and the
// one-vs-many row, computed on SwiftShader's WebGPU device, equal the CPU backend's. The page
// is an embed of a bundle baked from two VOC cats, so no model runs (a forward pass on
// SwiftShader takes about a minute) and what runs on the device is the views' own work; it also
// shows that an embed carries the row, why alike and (from the bundle's masks) segmentation's IoU
// curve when its link has them.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open, SHOTS } from "./harness.mjs";
import { featsim, vocJpg as jpg, vocPng as png } from "./featsim.mjs";

const SUPPORT = "2007_000528";
const QUERY = "2007_000876";
const CELL = [5, 9];
const BLOCKS = "weights/blocks/resnet50-imagenet.blocks.json";

let site;

before(() => {
  site = mkdtempSync(join(tmpdir(), "featsim-views-webgpu-"));
  cpSync("dist", site, { recursive: true });
  // With the photos' masks: the left one is the object, the right one the ground truth.
  featsim(["bake", "--weights", BLOCKS, "--size", "512", "--blocks", "layer3,layer4", "--masks", `${png(SUPPORT)},${png(QUERY)}`,
    "--out", join(site, "figs/cats"), jpg(SUPPORT), jpg(QUERY)]);
});

after(() => {
  if (site) rmSync(site, { recursive: true, force: true });
});

/** Waits for `read` (run in the page) to give something, and returns it. */
async function until(page, read, arg) {
  return (await page.waitForFunction(read, arg, { timeout: 240_000, polling: 250 })).jsonValue();
}

/** What the embed shows for each view on one backend. */
async function views(webgpu) {
  const b = await open({ webgpu, root: site });
  try {
    const { page } = b;
    const base = `${b.url}?embed=1#bundle=figs/cats&block=layer4&cell=${CELL}&side=left`;
    await page.goto(`${base}&view=pca`);
    const backend = await until(page, () => document.querySelector(".embed")?.dataset.backend);
    assert.equal(backend, webgpu ? "webgpu" : "cpu");
    const explained = await until(page, () => {
      const read = (s) => document.querySelector(`#${s}-pca`)?.dataset.explained;
      const [l, r] = [read("left"), read("right")];
      return l && r ? [l.split(",").map(Number), r.split(",").map(Number)] : null;
    });
    // Each view from a fresh load of its link (about:blank between: a new fragment alone would
    // not reload the page).
    await page.goto("about:blank");
    await page.goto(`${base}&view=pairs&pairs=10`);
    const pairs = await until(page, () => {
      const ls = [...document.querySelectorAll("svg.pair-lines line")];
      return ls.length === 10 ? ls.map((l) => ({ left: l.dataset.left, right: l.dataset.right, s: Number(l.dataset.similarity) })) : null;
    });
    await page.goto("about:blank");
    await page.goto(`${base}&why=1&targets=${SUPPORT}.jpg,${QUERY}.jpg`);
    const why = await until(page, () => {
      const el = document.querySelector("#why");
      return el && !el.hidden && el.dataset.shares ? { ...el.dataset } : null;
    });
    const row = await until(page, () => {
      const hs = [...document.querySelectorAll("#targets .target-heat[data-values]")];
      return hs.length === 2 ? hs.map((h) => JSON.parse(h.dataset.values)) : null;
    });
    assert.equal(await page.locator("#targets .targets-head").isHidden(), true, "an embed's row has no controls");
    if (webgpu) await page.screenshot({ path: `${SHOTS}/embed-views-webgpu.png` });
    // Segmentation from the bundle's masks, with its IoU curve under the panels.
    await page.goto("about:blank");
    await page.goto(`${base}&mode=segment&method=best`);
    const curve = await until(page, () => {
      const el = document.querySelector("#iou-curve");
      return el?.dataset.bestIou && !el.closest(".iou-plot").hidden
        ? { best: Number(el.dataset.bestIou), t: Number(el.dataset.bestThreshold), points: Number(el.dataset.points) }
        : null;
    });
    assert.equal(curve.points, 101);
    if (webgpu) await page.screenshot({ path: `${SHOTS}/embed-iou-curve-webgpu.png` });
    assert.deepEqual(b.errors, [], `console errors on ${backend}`);
    return { explained, pairs, why, row, curve };
  } finally {
    await b.close();
  }
}

test("PCA, correspondences, why alike and the row on WebGPU equal the CPU's", async () => {
  const cpu = await views(false);
  const gpu = await views(true);
  console.log(`views: PCA explained ${cpu.explained[0].join(",")} (CPU) vs ${gpu.explained[0].join(",")} (WebGPU)`);
  cpu.explained.flat().forEach((e, i) => assert.ok(Math.abs(e - gpu.explained.flat()[i]) < 1e-4, `PCA ${e} vs ${gpu.explained.flat()[i]}`));
  assert.deepEqual(
    gpu.pairs.map((p) => [p.left, p.right]),
    cpu.pairs.map((p) => [p.left, p.right]),
    "the same pairs in the same order",
  );
  cpu.pairs.forEach((p, i) => assert.ok(Math.abs(p.s - gpu.pairs[i].s) < 1e-4, `pair ${i}: ${p.s} vs ${gpu.pairs[i].s}`));
  assert.equal(gpu.why.channels, cpu.why.channels, "why alike names the same channels");
  assert.ok(Math.abs(Number(gpu.why.cosine) - Number(cpu.why.cosine)) < 1e-4);
  const worst = Math.max(...cpu.row.flat().map((v, i) => Math.abs(v - gpu.row.flat()[i])));
  console.log(`views: the row's heatmaps, WebGPU vs CPU, max |Δ| ${worst.toExponential(2)}`);
  assert.ok(worst <= 1e-4, `row ${worst}`);
  console.log(`views: best's IoU curve from the bundle's masks: best cut ${cpu.curve.t} → ${cpu.curve.best} (CPU), ${gpu.curve.t} → ${gpu.curve.best} (WebGPU)`);
  assert.ok(Math.abs(cpu.curve.best - gpu.curve.best) <= 1e-3, "the same best IoU");
});
