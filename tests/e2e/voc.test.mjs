// The page against the CLI on two VOC photos loaded through the file inputs: the heatmap of a
// fixed cell equals `featsim similarity`'s values, and the one-shot segmentation IoU the page shows
// equals `featsim eval-oneshot --pair` for the same pair, method and threshold.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SHOTS } from "./harness.mjs";
import {
  VOC,
  WEIGHTS,
  clickCell,
  featsim,
  maxAbsDiff,
  openVocPair,
  readNpy,
  vocJpg,
  vocPng,
  waitForHeat,
} from "./featsim.mjs";

// Two cats (class 8): classes.json lists both under "cat", and cat is the most frequent object
// class of both masks, so the page's default class is the CLI's.
const SUPPORT = "2007_000528";
const QUERY = "2007_000876";
const CAT = "8";
const CELL = [5, 9];
const jpg = vocJpg;
const png = vocPng;

let b;
let tmp;
let masksLoaded = false;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), "featsim-voc-"));
  // On the CPU backend: this file compares the page's whole pipeline with the CLI's, and two VOC
  // photos' forward passes on SwiftShader cost two minutes. That WebGPU computes what the CPU
  // does is tested in similarity (the same heatmap on both, in one page) and boot.
  b = await openVocPair({ webgpu: false }, SUPPORT, QUERY);
});

after(async () => {
  await b?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test("cross-image heatmap equals `featsim similarity` (values within 1e-4)", async () => {
  const { page } = b;
  await clickCell(page, "left", ...CELL);
  const m = await waitForHeat(page, "right", {
    cell: CELL.join(","),
    pinned: "true",
    block: "layer4",
    image: `${QUERY}.jpg`,
  });
  const npy = join(tmp, "sim.npy");
  featsim([
    "similarity",
    "--weights", WEIGHTS,
    "--layer", "layer4",
    "--size", "512",
    "--cell", CELL.join(","),
    "--values", npy,
    "--out", join(tmp, "sim.png"),
    jpg(SUPPORT),
    jpg(QUERY),
  ]);
  const ref = readNpy(npy);
  assert.deepEqual(ref.shape, [m.rows, m.cols]);
  const d = maxAbsDiff(m.values, ref.data);
  console.log(`page (CPU) vs featsim similarity (CPU), layer4 cell ${CELL}: max |Δ| = ${d.toExponential(2)}`);
  assert.ok(d <= 1e-4, `max |page − CLI| = ${d}`);
  assert.deepEqual(b.errors, [], "console errors");
});

// [recipe, threshold rule]; `best` runs with its own default threshold (a fixed 0) on both sides.
const CASES = [
  ["plain", "mid"],
  ["plain", "otsu"],
  ["best", null],
];

for (const [method, threshold] of CASES) {
  test(`segmentation IoU equals \`featsim eval-oneshot --pair\` (${method}, ${threshold ?? "default"})`, async () => {
    const { page } = b;
    await page.check("#mode-segment");
    if (!masksLoaded) {
      await page.setInputFiles("#left-mask-file", png(SUPPORT));
      await page.setInputFiles("#right-mask-file", png(QUERY));
      masksLoaded = true;
    }
    await page.waitForSelector("#class");
    assert.equal(await page.locator("#class").inputValue(), CAT, "the default class is the mask's cat");
    await page.selectOption("#method", method);
    if (threshold) await page.selectOption("#rule", threshold);
    const rule = threshold ?? "fixed";
    const got = Number(
      await (
        await page.waitForFunction(
          ([m, t]) => {
            const el = document.querySelector("#iou");
            const ok = el?.dataset.iou && el.dataset.rule === t && el.dataset.method === m;
            return ok ? el.dataset.iou : null;
          },
          [method, rule],
          { timeout: 240_000, polling: 250 },
        )
      ).jsonValue(),
    );
    const out = featsim([
      "eval-oneshot",
      "--weights", WEIGHTS,
      "--data", VOC,
      "--layer", "layer4",
      "--size", "512",
      "--method", method,
      ...(threshold ? ["--threshold", threshold] : []),
      "--pair", `${SUPPORT},${QUERY}`,
    ]);
    const last = out.trim().split("\n").at(-1);
    const want = Number(last.match(/mIoU=([0-9.]+)/)?.[1]);
    assert.match(last, /episodes=1$/, `CLI output: ${out}`);
    console.log(`IoU ${method} ${rule}: page ${got.toFixed(4)}, CLI ${want}`);
    assert.ok(Math.abs(got - want) <= 0.005, `page IoU ${got} vs CLI ${want}`);
    if (method === "plain" && threshold === "mid") {
      while (await page.locator(".message .dismiss").count()) await page.locator(".message .dismiss").first().click();
      await page.setViewportSize({ width: 1280, height: 1040 });
      await page.screenshot({ path: `${SHOTS}/segment.png` });
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    assert.deepEqual(b.errors, [], "console errors");
  });
}

test("painting cells on the left segments the right; the mask downloads as PNG", async () => {
  const { page } = b;
  await page.click("#segment button:has-text('Clear')");
  await page.waitForFunction(() => /Paint the object/.test(document.querySelector("#iou")?.textContent));
  // Paint a 3×3-cell brush stroke over the cat's middle.
  await page.locator("#brush-size").evaluate((e) => {
    e.value = "3";
    e.dispatchEvent(new Event("input", { bubbles: true }));
  });
  const box = await page.locator("#left-stage").boundingBox();
  await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.55, { steps: 5 });
  await page.mouse.up();
  const iou = await page.waitForFunction(() => document.querySelector("#iou")?.dataset.iou, null, { timeout: 120_000 });
  const v = Number(await iou.jsonValue());
  console.log(`IoU from painted cells: ${v.toFixed(3)}`);
  assert.ok(v > 0 && v <= 1);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click("#segment button:has-text('Download mask PNG')"),
  ]);
  assert.equal(download.suggestedFilename(), `featsim-mask-${QUERY}.png`);
  const file = join(tmp, "mask.png");
  await download.saveAs(file);
  const head = readFileSync(file);
  assert.equal(head.toString("latin1", 1, 4), "PNG");
  // IHDR: the query's own size.
  assert.deepEqual([head.readUInt32BE(16), head.readUInt32BE(20)], [500, 334]);
  assert.deepEqual(b.errors, [], "console errors");
});
