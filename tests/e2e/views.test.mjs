// Explore's other views and segmentation's IoU curve (issue #16) on two VOC cats, CPU backend:
// PCA colours (joint and per image, at two blocks), correspondences (lines and marks, their
// cosines equal to the heatmap's, the count in the link), and the IoU curve, whose best threshold
// gives the IoU the page then shows. Each view survives a reload of its link.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SHOTS } from "./harness.mjs";
import { clickCell, openVocPair, vocJpg as jpg, vocPng as png, waitForHeat, waitForImage, waitReady } from "./featsim.mjs";

const SUPPORT = "2007_000528";
const QUERY = "2007_000876";

let b;
let tmp;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), "featsim-views-"));
  b = await openVocPair({ webgpu: false }, SUPPORT, QUERY);
});

after(async () => {
  await b?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Clicks `button` and returns the download's suggested name and its bytes. */
async function download(page, button) {
  const [d] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
  const file = join(tmp, d.suggestedFilename());
  await d.saveAs(file);
  return { name: d.suggestedFilename(), bytes: readFileSync(file) };
}

/** A PNG's width and height from its header (and that it is one). */
function pngSize(bytes) {
  assert.equal(bytes.subarray(1, 4).toString("latin1"), "PNG");
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

/** The link to the current view ("Copy link" writes it into #link). */
async function linkOf(page) {
  await page.click("#copy-link");
  await page.waitForSelector("#link");
  return page.locator("#link").inputValue();
}

/** Both panels' PCA attributes once they match `want` ({ block, scope }). */
async function waitForPca(page, want) {
  const h = await page.waitForFunction(
    (w) => {
      const read = (s) => {
        const el = document.querySelector(`#${s}-pca`);
        if (!el?.dataset.explained || el.style.visibility === "hidden") return null;
        if (el.dataset.block !== w.block || el.dataset.scope !== w.scope) return null;
        return { rows: Number(el.dataset.rows), explained: el.dataset.explained.split(",").map(Number) };
      };
      const [l, r] = [read("left"), read("right")];
      return l && r ? { left: l, right: r } : null;
    },
    want,
    { timeout: 240_000, polling: 250 },
  );
  return h.jsonValue();
}

test("PCA colours: joint over both images by default, per image on request, at every block asked", async () => {
  const { page } = b;
  await page.selectOption("#view", "pca");
  const joint = await waitForPca(page, { block: "layer4", scope: "joint" });
  assert.equal(joint.left.rows, 16);
  // One PCA over both: the same explained variance on each side, decreasing, a share of the whole.
  assert.deepEqual(joint.left.explained, joint.right.explained);
  const e = joint.left.explained;
  assert.ok(e[0] >= e[1] && e[1] >= e[2] && e[2] > 0 && e[0] < 1, `${e}`);
  assert.match(await linkOf(page), /view=pca&pca=joint/);
  await page.screenshot({ path: `${SHOTS}/view-pca.png` });
  await page.selectOption("#pca-scope", "each");
  const each = await waitForPca(page, { block: "layer4", scope: "each" });
  assert.notDeepEqual(each.left.explained, each.right.explained);
  // A block change keeps the view.
  await page.selectOption("#block", "layer3");
  const l3 = await waitForPca(page, { block: "layer3", scope: "each" });
  assert.equal(l3.left.rows, 32);
  // The heatmap and its best-match marks are hidden meanwhile.
  assert.equal(await page.locator("#right-heat").evaluate((el) => el.style.visibility), "hidden");
  assert.equal(await page.locator(".cell.top").count(), 0);
  // The link brings the view back.
  const link = await linkOf(page);
  assert.match(link, /block=layer3.*view=pca&pca=each/);
  await page.goto("about:blank");
  await page.goto(link);
  await waitReady(page);
  assert.equal(await page.locator("#view").inputValue(), "pca");
  assert.equal(await page.locator("#pca-scope").inputValue(), "each");
  assert.deepEqual(b.errors, [], "console errors");
});

test("correspondences: lines and marks for the top pairs, each one's cosine the heatmap's value there", async () => {
  const { page } = b;
  // Back to the VOC pair (the reload above emptied the panels: visitor files do not travel).
  await page.goto(`${b.url}#block=layer4&left=&right=`);
  await waitReady(page);
  await page.setInputFiles("#left-file", jpg(SUPPORT));
  await page.setInputFiles("#right-file", jpg(QUERY));
  await waitForImage(page, "right", `${QUERY}.jpg`);
  await page.selectOption("#view", "pairs");
  await page.waitForFunction(() => document.querySelectorAll("svg.pair-lines line").length > 0, null, {
    timeout: 240_000,
  });
  const lines = await page.locator("svg.pair-lines line").evaluateAll((ls) =>
    ls.map((l) => ({ ...l.dataset, x1: Number(l.getAttribute("x1")), x2: Number(l.getAttribute("x2")) })),
  );
  assert.ok(lines.length > 0 && lines.length <= 20, `${lines.length} lines`);
  assert.equal(await page.locator("#left-stage .cell.pair").count(), lines.length);
  assert.equal(await page.locator("#right-stage .cell.pair").count(), lines.length);
  const sims = lines.map((l) => Number(l.similarity));
  assert.ok(sims.every((s, i) => i === 0 || s <= sims[i - 1]), `most similar first: ${sims}`);
  assert.ok(lines.every((l) => l.x2 > l.x1), "lines run from the left panel to the right one");
  await page.screenshot({ path: `${SHOTS}/view-pairs.png` });
  // Fewer pairs: in the link too.
  await page.fill("#pairs-n", "3");
  await page.locator("#pairs-n").dispatchEvent("change");
  await page.waitForFunction(() => document.querySelectorAll("svg.pair-lines line").length === Math.min(3, 20));
  assert.match(await linkOf(page), /view=pairs&pairs=3/);
  // A block change keeps the view: layer3's pairs, on its 32×32 grid.
  await page.selectOption("#block", "layer3");
  await page.waitForFunction(
    () => {
      const ls = [...document.querySelectorAll("svg.pair-lines line")];
      return ls.length === 3 && ls.some((l) => l.dataset.left.split(",").some((x) => Number(x) > 15));
    },
    null,
    { timeout: 240_000, polling: 250 },
  );
  await page.selectOption("#block", "layer4");
  await page.waitForFunction(
    (first) => document.querySelector("svg.pair-lines line")?.dataset.left === first,
    lines[0].left,
    { timeout: 240_000, polling: 250 },
  );
  const pj = await download(page, "#view-json");
  assert.equal(pj.name, `featsim-pairs-${SUPPORT}-${QUERY}-layer4.json`);
  const json = JSON.parse(pj.bytes.toString("utf8"));
  assert.equal(json.pairs.length, 3);
  assert.deepEqual(json.pairs[0].left, lines[0].left.split(",").map(Number));
  // The figure: both photos 512 high side by side (24 apart), a caption strip under them.
  const pp = await download(page, "#view-png");
  assert.equal(pp.name, `featsim-pairs-${SUPPORT}-${QUERY}-layer4.png`);
  const photos = await page.evaluate(() =>
    ["left", "right"].map((s) => {
      const img = document.querySelector(`#${s}-stage img`);
      return Math.round((512 * img.naturalWidth) / img.naturalHeight);
    }),
  );
  assert.deepEqual(pngSize(pp.bytes), [photos[0] + 24 + photos[1], 548]);
  // The strongest pair's cosine is the heatmap of its left cell at its right cell.
  await page.selectOption("#view", "heatmap");
  const [r, c] = lines[0].left.split(",").map(Number);
  await clickCell(page, "left", r, c);
  const m = await waitForHeat(page, "right", { cell: `${r},${c}`, pinned: "true", block: "layer4" });
  const [rr, rc] = lines[0].right.split(",").map(Number);
  const v = m.values[rr * m.cols + rc];
  assert.ok(Math.abs(v - sims[0]) < 1e-5, `heatmap ${v} vs pair ${sims[0]}`);
  // …and that right cell is the best match of the row.
  assert.equal(Math.max(...m.values), v);
  // The map's values as JSON: what the page shows.
  const hj = await download(page, "#right-heat-json");
  assert.equal(hj.name, `featsim-${SUPPORT}-${QUERY}-layer4-r${r}c${c}.json`);
  const hv = JSON.parse(hj.bytes.toString("utf8"));
  assert.deepEqual([hv.rows, hv.cols, hv.source.cell], [m.rows, m.cols, [r, c]]);
  assert.ok(hv.values.every((x, i) => Math.abs(x - m.values[i]) < 1e-6), "JSON values = the heatmap's");
  // Why alike (asked for): with no pointer on the right, the best match — here the pair's right cell.
  assert.equal(await page.locator("#why").isHidden(), true, "why alike waits to be asked for");
  await page.check("#why-toggle");
  const why = async (other) =>
    (
      await page.waitForFunction(
        (o) => {
          const el = document.querySelector("#why");
          return el && !el.hidden && el.dataset.other === o ? { ...el.dataset } : null;
        },
        other,
        { timeout: 60_000, polling: 100 },
      )
    ).jsonValue();
  const w = await why(lines[0].right);
  assert.equal(w.cell, `${r},${c}`);
  assert.ok(Math.abs(Number(w.cosine) - v) < 1e-5, `why cosine ${w.cosine} vs heatmap ${v}`);
  const shares = w.shares.split(",").map(Number);
  assert.equal(shares.length, 8);
  assert.ok(shares.every((x, i) => i === 0 || x <= shares[i - 1]), `largest first: ${shares}`);
  // ReLU features: every share is ≥ 0, so the top 8 carry at most the whole cosine.
  assert.ok(shares.reduce((a, x) => a + x, 0) <= Number(w.cosine) + 1e-5);
  assert.equal(await page.locator("#why canvas.thumb").count(), 16);
  // Its downloads (before pointing anywhere: the pointer on a button is on no cell).
  const wj = JSON.parse((await download(page, "#why-json")).bytes.toString("utf8"));
  assert.equal(wj.other.cell.join(","), lines[0].right);
  assert.equal(wj.channels.map((x) => x.channel).join(","), w.channels);
  const wp = await download(page, "#why-png");
  assert.equal(wp.name, `featsim-why-${SUPPORT}-${QUERY}-layer4.png`);
  // A header, the photos' row and one row per channel.
  assert.deepEqual(pngSize(wp.bytes), [200 + 2 * 172 - 4, 56 + 9 * 172]);
  assert.match(await linkOf(page), /&why=1&/);
  // Pointing at another right cell asks about that one.
  const { rows, cols, box } = await (async () => {
    const el = page.locator("#right-stage");
    return { rows: Number(await el.getAttribute("data-rows")), cols: Number(await el.getAttribute("data-cols")), box: await el.boundingBox() };
  })();
  await page.mouse.move(box.x + (2.5 / cols) * box.width, box.y + (3.5 / rows) * box.height);
  const w2 = await why("3,2");
  assert.ok(Math.abs(Number(w2.cosine) - m.values[3 * m.cols + 2]) < 1e-5, `${w2.cosine} vs ${m.values[3 * m.cols + 2]}`);
  await page.locator("#why").screenshot({ path: `${SHOTS}/view-why.png` });

  assert.deepEqual(b.errors, [], "console errors");
});

test("IoU curve: its best threshold gives the IoU the page then shows; a click on the plot cuts there", async () => {
  const { page } = b;
  await page.check("#mode-segment");
  await page.setInputFiles("#left-mask-file", png(SUPPORT));
  await page.setInputFiles("#right-mask-file", png(QUERY));
  await page.selectOption("#method", "plain");
  const best = await (
    await page.waitForFunction(
      () => {
        const el = document.querySelector("#iou-curve");
        return el?.dataset.bestIou && document.querySelector("#iou")?.dataset.iou
          ? { t: el.dataset.bestThreshold, iou: Number(el.dataset.bestIou), points: Number(el.dataset.points) }
          : null;
      },
      null,
      { timeout: 240_000, polling: 250 },
    )
  ).jsonValue();
  assert.equal(best.points, 101);
  const before = Number(await page.locator("#iou").getAttribute("data-iou"));
  assert.ok(best.iou >= before - 1e-9, `the best (${best.iou}) is at least the midpoint's (${before})`);
  await page.screenshot({ path: `${SHOTS}/view-iou-curve.png` });
  await page.click("#use-best");
  const shown = Number(
    await (
      await page.waitForFunction(
        () => {
          const el = document.querySelector("#iou");
          return el?.dataset.rule === "fixed" ? el.dataset.iou : null;
        },
        null,
        { polling: 100, timeout: 60_000 },
      )
    ).jsonValue(),
  );
  console.log(`IoU curve: best cut ${best.t} → ${best.iou}; the page then shows ${shown} (midpoint ${before})`);
  assert.ok(Math.abs(shown - best.iou) <= 1e-6, `${shown} vs ${best.iou}`);
  // The cut travels in the link, exactly.
  const link = await linkOf(page);
  assert.match(link, /mode=segment&method=plain&rule=fixed&cut=/);
  assert.ok(Math.abs(Number(link.match(/cut=([^&]+)/)[1]) - Number(best.t)) < 1e-7, link);
  const cp = await download(page, "#curve-png");
  assert.equal(cp.name, `featsim-iou-curve-${SUPPORT}-${QUERY}-plain.png`);
  assert.deepEqual(pngSize(cp.bytes), [48 + 720 + 16, 36 + 270 + 40]);
  // A click a quarter of the way across cuts at lo + (hi − lo) / 4.
  const plot = page.locator("#iou-curve");
  const [lo, hi] = [Number(await plot.getAttribute("data-lo")), Number(await plot.getAttribute("data-hi"))];
  const box = await plot.boundingBox();
  await page.mouse.click(box.x + box.width * 0.25, box.y + box.height / 2);
  const want = lo + (hi - lo) * 0.25;
  await page.waitForFunction(
    (w) => Math.abs(Number(document.querySelector("#cut")?.value) - Math.max(-1, Math.min(1, w))) < 0.02,
    want,
    { timeout: 30_000 },
  );
  assert.deepEqual(b.errors, [], "console errors");
});

test("correspondences from the marked object: a subset of all pairs, those that start in it", async () => {
  const { page } = b;
  // The support mask loaded in segmentation above is the object.
  await page.check("#mode-explore");
  await page.selectOption("#view", "pairs");
  await page.fill("#pairs-n", "100");
  await page.locator("#pairs-n").dispatchEvent("change");
  const pairsJson = async (fromObject) => {
    await page.waitForFunction(
      (o) => document.querySelectorAll("svg.pair-lines line").length > 0 && document.querySelector("#pairs-object").checked === o,
      fromObject,
      { timeout: 240_000, polling: 250 },
    );
    for (;;) {
      const j = JSON.parse((await download(page, "#view-json")).bytes.toString("utf8"));
      if (j.from_object === fromObject) return j;
      await page.waitForTimeout(250);
    }
  };
  const all = await pairsJson(false);
  assert.equal(await page.locator("#pairs-object").isEnabled(), true);
  await page.check("#pairs-object");
  const inObject = await pairsJson(true);
  const key = (p) => `${p.left}|${p.right}`;
  const everyPair = new Set(all.pairs.map(key));
  console.log(`pairs from the object: ${inObject.mutual} of ${all.mutual} mutual pairs`);
  assert.ok(inObject.mutual > 0 && inObject.mutual < all.mutual, `${inObject.mutual} of ${all.mutual}`);
  assert.ok(inObject.pairs.every((p) => everyPair.has(key(p))), "each is one of all the pairs");
  assert.match(await linkOf(page), /view=pairs&pairs=100&within=object/);
  await page.screenshot({ path: `${SHOTS}/view-pairs-object.png` });
  // Forgetting the object turns the restriction off (nothing to restrict to).
  await page.check("#mode-segment");
  await page.click("#clear-left");
  await page.check("#mode-explore");
  assert.equal(await page.locator("#pairs-object").isDisabled(), true);
  assert.deepEqual(b.errors, [], "console errors");
});
