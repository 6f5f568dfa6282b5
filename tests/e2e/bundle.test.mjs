// Baked bundles and authors' own images (issue #12): a bundle made by `featsim bake` opens with no
// model download and gives the live model's heatmap and one-shot IoU; damaged bundles are
// refused whole with a message while the live model keeps working; an author's image beside the
// page opens from a link, and addresses elsewhere, missing files, non-images and oversized files
// are refused in their panel.
//
// The site is a copy of dist/ with a bundle of two VOC cats baked into figs/cats/, the same two
// photos as own images under images/, and damaged copies of the bundle under bad/.
import { after, before, test } from "node:test";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import assert from "node:assert/strict";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open, SHOTS, waitForStatus } from "./harness.mjs";
import { VOC, clickCell, featsim, maxAbsDiff, waitForError, waitForHeat, waitForImage, waitReady } from "./featsim.mjs";

const SUPPORT = "2007_000528";
const QUERY = "2007_000876";
const CELL = [5, 9];
const jpg = (n) => join(VOC, "JPEGImages", `${n}.jpg`);
const png = (n) => join(VOC, "SegmentationClass", `${n}.png`);
const BLOCKS = "weights/blocks/resnet50-imagenet.blocks.json";

let site;
/** The largest cosine error `featsim bake` measured for its stored maps. */
let bound;
/** Heatmap values and IoUs in bundle mode, to compare with live mode. */
const baked = {};
const opened = [];

before(() => {
  site = mkdtempSync(join(tmpdir(), "featsim-bundle-"));
  cpSync("dist", site, { recursive: true });
  const out = featsim(["bake", "--weights", BLOCKS, "--size", "512", "--blocks", "layer3,layer4", "--out", join(site, "figs/cats"), jpg(SUPPORT), jpg(QUERY)]);
  const errors = [...out.matchAll(/worst cosine error over every pair of cells ([0-9.e+-]+)/g)].map((m) => Number(m[1]));
  assert.equal(errors.length, 2, out);
  bound = Math.max(...errors) + 1e-4;
  console.log(`${out.trim()}\nbound for page heatmaps: ${bound.toExponential(2)}`);
  mkdirSync(join(site, "images"));
  for (const n of [SUPPORT, QUERY]) copyFileSync(jpg(n), join(site, "images", `${n}.jpg`));
  writeFileSync(join(site, "images/not-an-image.jpg"), "this is text, not a JPEG\n");
  // Over the 150 MB image limit, without writing 200 MB (a sparse file).
  writeFileSync(join(site, "images/huge.bmp"), "");
  truncateSync(join(site, "images/huge.bmp"), 200_000_000);
  // Damaged copies of the bundle, one fault each.
  const good = join(site, "figs/cats");
  const manifest = JSON.parse(readFileSync(join(good, "bundle.json"), "utf8"));
  const feature = manifest.images[1].features[1].file;
  const bad = (name, edit) => {
    const dir = join(site, "bad", name);
    cpSync(good, dir, { recursive: true });
    edit(dir);
  };
  bad("missing", (d) => rmSync(join(d, feature)));
  bad("flipped", (d) => {
    const b = readFileSync(join(d, feature));
    b[b.length >> 1] ^= 1;
    writeFileSync(join(d, feature), b);
  });
  bad("truncated", (d) => {
    // Cut short, and the manifest made to agree: the hash passes, the zlib stream does not.
    const b = readFileSync(join(d, feature)).subarray(0, 1000);
    writeFileSync(join(d, feature), b);
    const m = structuredClone(manifest);
    const entry = m.images[1].features[1];
    entry.bytes = b.length;
    entry.sha256 = createHash("sha256").update(b).digest("hex");
    writeFileSync(join(d, "bundle.json"), JSON.stringify(m));
  });
  bad("other-model", (d) => {
    const m = structuredClone(manifest);
    m.model.network = "0".repeat(64);
    m.model.name = "Some other ResNet";
    writeFileSync(join(d, "bundle.json"), JSON.stringify(m));
  });
  bad("other-size", (d) => writeFileSync(join(d, "bundle.json"), JSON.stringify({ ...manifest, size: 2048 })));
  bad("not-json", (d) => writeFileSync(join(d, "bundle.json"), "<html>404 page of some host</html>"));
});

after(async () => {
  for (const b of opened) await b.close();
  if (site) rmSync(site, { recursive: true, force: true });
});

/** Console errors but the browser's own line for the 404s these tests ask for. */
const unexpected = (errors) => errors.filter((e) => !/^Failed to load resource: the server responded with a status of 404/.test(e));

async function start(fragment, opts = {}) {
  const b = await open({ webgpu: false, root: site, ...opts });
  opened.push(b);
  await b.page.goto(`${b.url}${opts.query ?? ""}#${fragment}`);
  return b;
}

/** The IoU the page shows for `method` (its default threshold rule). */
async function iou(page, method) {
  await page.selectOption("#method", method);
  const h = await page.waitForFunction(
    (m) => {
      const el = document.querySelector("#iou");
      return el?.dataset.iou && el.dataset.method === m ? el.dataset.iou : null;
    },
    method,
    { timeout: 240_000, polling: 250 },
  );
  return Number(await h.jsonValue());
}

async function segment(page) {
  await page.check("#mode-segment");
  await page.setInputFiles("#left-mask-file", png(SUPPORT));
  await page.setInputFiles("#right-mask-file", png(QUERY));
  const got = { plain: await iou(page, "plain"), best: await iou(page, "best") };
  await page.check("#mode-explore");
  return got;
}

test("a baked bundle shows heatmaps and segments with no model download", async () => {
  const b = await start(`bundle=figs/cats&block=layer4&cell=${CELL}&side=left`);
  const { page } = b;
  await waitForImage(page, "left", `${SUPPORT}.jpg`);
  const m = await waitForHeat(page, "right", { cell: CELL.join(","), block: "layer4", pinned: "true" });
  baked.layer4 = m.values;
  assert.equal(await page.getAttribute("#status", "data-weights"), "baked");
  assert.match(await page.textContent("#status"), /baked features of layer3, layer4 at 512²/);
  // The strip has the two baked blocks; layer3's heatmap comes from the bundle too.
  await page.click('#strip .thumb[data-block="layer3"]');
  baked.layer3 = (await waitForHeat(page, "right", { block: "layer3", pinned: "true" })).values;
  assert.equal(await page.locator('#block option[value="layer2"]').getAttribute("data-state"), "on-demand");
  await page.click('#strip .thumb[data-block="layer4"]');
  Object.assign(baked, await segment(page));
  console.log(`bundle: IoU plain ${baked.plain.toFixed(4)}, best ${baked.best.toFixed(4)}`);
  await page.screenshot({ path: `${SHOTS}/bundle.png` });
  const weights = b.requests.filter((u) => u.endsWith(".bpk"));
  assert.deepEqual(weights, [], "no part of the model was requested");
  assert.equal(await page.getAttribute("#status", "data-weights"), "baked");
  // A block the bundle lacks loads the model, and the status says why.
  await page.selectOption("#block", "layer2");
  await page.locator(".message", { hasText: "not in the bundle" }).first().waitFor({ timeout: 60_000 });
  const l2 = await waitForHeat(page, "right", { block: "layer2", pinned: "true" });
  assert.equal(l2.rows, 64);
  assert.ok(b.requests.some((u) => u.endsWith(".bpk")), "the model came for layer2");
  assert.deepEqual(b.errors, [], "console errors");
});

test("live mode on the same photos, opened as the author's own images, agrees with the bundle", async () => {
  const b = await start(`left=images/${SUPPORT}.jpg&right=images/${QUERY}.jpg&block=layer4&cell=${CELL}&side=left`);
  const { page } = b;
  await waitReady(page);
  await waitForImage(page, "left", `${SUPPORT}.jpg`);
  const l4 = await waitForHeat(page, "right", { cell: CELL.join(","), block: "layer4", pinned: "true" });
  await page.click('#strip .thumb[data-block="layer3"]');
  const l3 = await waitForHeat(page, "right", { block: "layer3", pinned: "true" });
  await page.click('#strip .thumb[data-block="layer4"]');
  const d4 = maxAbsDiff(l4.values, baked.layer4);
  const d3 = maxAbsDiff(l3.values, baked.layer3);
  const live = await segment(page);
  console.log(
    `bundle vs live: heatmap max |Δ| layer4 ${d4.toExponential(2)}, layer3 ${d3.toExponential(2)} (bound ${bound.toExponential(2)}); ` +
      `IoU plain ${live.plain.toFixed(4)} vs ${baked.plain.toFixed(4)}, best ${live.best.toFixed(4)} vs ${baked.best.toFixed(4)}`,
  );
  assert.ok(d4 <= bound && d3 <= bound, `heatmaps differ by ${d4}, ${d3}`);
  assert.ok(Math.abs(live.plain - baked.plain) <= 0.005, "plain IoU");
  assert.ok(Math.abs(live.best - baked.best) <= 0.005, "best IoU");

  // "Download bundle" bakes this view from the features the page has: unzipped beside the page,
  // the bundle opens and shows the same heatmap.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-bundle")]);
  assert.equal(download.suggestedFilename(), "featsim-bundle.zip");
  const zip = join(site, "dl.zip");
  await download.saveAs(zip);
  execFileSync("python3", ["-m", "zipfile", "-e", zip, join(site, "figs")]);
  const m = JSON.parse(readFileSync(join(site, "figs/featsim-bundle/bundle.json"), "utf8"));
  assert.deepEqual([m.size, m.blocks, m.images.map((i) => i.name)], [512, ["layer3", "layer4"], [`${SUPPORT}.jpg`, `${QUERY}.jpg`]]);
  // Another cell first, so that the bundle's map is a new one.
  await clickCell(page, "left", 2, 3);
  await waitForHeat(page, "right", { cell: "2,3", pinned: "true" });
  await page.evaluate(() => (location.hash = "bundle=figs/featsim-bundle&block=layer4&cell=5,9&side=left"));
  const again = await waitForHeat(page, "right", { cell: CELL.join(","), block: "layer4", pinned: "true" });
  const dd = maxAbsDiff(again.values, l4.values);
  console.log(`the page's own bundle vs live: layer4 max |Δ| ${dd.toExponential(2)}`);
  // Not zero: the map comes from the bundle's one-byte values, not from the model.
  assert.ok(dd > 0 && dd <= bound, `downloaded bundle differs by ${dd}`);

  // Addresses the page will not fetch, or cannot use: a message in the panel, the old image kept.
  const cases = [
    ["https://example.invalid/cat.jpg", /another site \(example\.invalid\)/],
    ["images/missing.jpg", /neither a gallery image nor a file beside the page .*HTTP 404/],
    ["images/not-an-image.jpg", /not-an-image\.jpg: .*(decoded|format)/],
    ["images/huge.bmp", /200\.0 MB: FeatSim reads images of up to 150\.0 MB/],
  ];
  for (const [address, why] of cases) {
    await page.evaluate((a) => (location.hash = `left=${encodeURIComponent(a)}&right=images/${"2007_000876"}.jpg`), address);
    const note = page.locator("#left-stage .panel-error", { hasText: why });
    await note.waitFor({ timeout: 30_000 });
    assert.equal(await page.getAttribute("#left-stage", "data-image"), `${SUPPORT}.jpg`, "the old image stays");
    await page.locator(".message .dismiss").first().click().catch(() => {});
  }
  await page.screenshot({ path: `${SHOTS}/own-image-refused.png` });
  // The page works on: another cell computes.
  await clickCell(page, "left", 2, 3);
  await waitForHeat(page, "right", { cell: "2,3", pinned: "true" });
  assert.deepEqual(unexpected(b.errors), [], "console errors");
});

test("damaged bundles are refused whole with a message; the live model works on", async () => {
  const b = await start("bundle=bad/missing&block=layer4");
  const { page } = b;
  const expect = {
    missing: /bundle bad\/missing: could not fetch .*HTTP 404/,
    flipped: /does not match its SHA-256 in the bundle's manifest/,
    truncated: /feature data (is not a readable zlib stream|holds)/,
    "other-model": /baked with Some other ResNet .* not with this page's model/,
    "other-size": /its input size 2048² is not one the page offers/,
    "not-json": /bundle bad\/not-json: not a FeatSim bundle/,
  };
  let first = true;
  for (const [name, why] of Object.entries(expect)) {
    if (!first) await page.evaluate((n) => (location.hash = `bundle=bad/${n}&block=layer4`), name);
    first = false;
    const msg = await waitForError(page, `bad/${name}`, 60_000);
    assert.match(msg, why, name);
    // Nothing of it is shown: the panels hold the gallery's photo, not the bundle's.
    for (const side of ["left", "right"]) {
      assert.notEqual(await page.getAttribute(`#${side}-stage`, "data-image"), `${SUPPORT}.jpg`, `${name}: ${side}`);
    }
    await page.locator(".message .dismiss").first().click().catch(() => {});
  }
  await waitReady(page);
  await clickCell(page, "left", 4, 4);
  const m = await waitForHeat(page, "right", { cell: "4,4", pinned: "true", block: "layer4" });
  assert.equal(m.rows, 16);
  assert.deepEqual(unexpected(b.errors), [], "console errors");
});

test("a baked embed downloads no weights, and shows its first heatmap offline once the bundle is cached", async () => {
  const b = await start(`bundle=figs/cats&block=layer4&cell=${CELL}&side=left`, { query: "?embed=1" });
  const { page } = b;
  await waitForHeat(page, "right", { cell: CELL.join(","), block: "layer4" });
  await page.waitForFunction(() => document.documentElement.dataset.offline === "ready", null, { timeout: 120_000, polling: 250 });
  assert.deepEqual(b.requests.filter((u) => u.endsWith(".bpk")), [], "no weights, not even for the offline copy");
  await page.context().setOffline(true);
  await page.reload();
  const m = await waitForHeat(page, "right", { cell: CELL.join(","), block: "layer4" });
  assert.equal(m.rows, 16);
  await page.context().setOffline(false);
  assert.deepEqual(b.errors.filter((e) => !/ERR_INTERNET_DISCONNECTED/.test(e)), [], "console errors");
});
