// One source, many targets (issue #16): a row of images under the panels, each with the heatmap
// of the shown cell. On the CPU backend with two VOC cats: the row's heatmap of an image equals
// the two-panel heatmap of the same pair; gallery images in the row travel in the link; a ninth
// image is refused with a message; removing one empties its slot.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { SHOTS } from "./harness.mjs";
import { clickCell, maxAbsDiff, openVocPair, vocJpg as jpg, waitForHeat, waitReady } from "./featsim.mjs";

const SUPPORT = "2007_000528";
const QUERY = "2007_000876";
const NINTH = "2007_000256";

let b;

before(async () => {
  b = await openVocPair({ webgpu: false }, SUPPORT, QUERY);
});

after(async () => {
  await b?.close();
});

/** The row's heatmap of image `name` once computed for `cell`. */
async function rowHeat(page, name, cell) {
  const h = await page.waitForFunction(
    ([n, c]) => {
      const el = [...document.querySelectorAll("#targets .target")].find((t) => t.dataset.image === n);
      const canvas = el?.querySelector(".target-heat");
      if (!canvas?.dataset.values || canvas.dataset.cell !== c) return null;
      return JSON.parse(canvas.dataset.values);
    },
    [name, cell],
    { timeout: 240_000, polling: 250 },
  );
  return h.jsonValue();
}

test("the row's heatmap of an image equals the two-panel heatmap of that pair", async () => {
  const { page } = b;
  await clickCell(page, "left", 6, 8);
  const m = await waitForHeat(page, "right", { cell: "6,8", pinned: "true", block: "layer4" });
  await page.setInputFiles("#target-file", jpg(QUERY));
  const values = await rowHeat(page, `${QUERY}.jpg`, "6,8");
  const d = maxAbsDiff(values, m.values);
  console.log(`row vs panel heatmap, layer4 cell 6,8: max |Δ| = ${d.toExponential(2)}`);
  assert.ok(d <= 1e-6, `max |row − panel| = ${d}`);
  assert.deepEqual(b.errors, [], "console errors");
});

test("gallery images join the row and its link; a new pinned cell recomputes the row; a ninth is refused", async () => {
  const { page } = b;
  for (const g of ["coffee.png", "chelsea.png"]) {
    await page.selectOption("#target-gallery", g);
    await rowHeat(page, g, "6,8");
  }
  await page.click("#copy-link");
  await page.waitForSelector("#link");
  const link = await page.locator("#link").inputValue();
  // The visitor's file cannot travel: only the gallery's two are named, in order.
  assert.match(link, /targets=coffee\.png,chelsea\.png/);
  await clickCell(page, "left", 3, 4);
  const again = await rowHeat(page, "coffee.png", "3,4");
  assert.equal(again.length, 256);
  await page.screenshot({ path: `${SHOTS}/view-targets.png`, fullPage: true });
  // Fill the row (3 in it now) and try one more.
  const gallery = await page.locator("#target-gallery option").evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  const more = gallery.filter((g) => g !== "coffee.png" && g !== "chelsea.png");
  assert.equal(more.length, 4, `the gallery's six: ${gallery}`);
  for (const g of more) {
    await page.selectOption("#target-gallery", g);
    await page.waitForFunction((n) => [...document.querySelectorAll("#targets .target")].some((t) => t.dataset.image === n), g);
  }
  assert.equal(await page.locator("#targets .target").count(), 7);
  await page.setInputFiles("#target-file", jpg(SUPPORT));
  await page.waitForFunction(() => document.querySelectorAll("#targets .target").length === 8, null, { timeout: 60_000 });
  await page.setInputFiles("#target-file", jpg(NINTH));
  await page.waitForFunction(() => /remove one/.test(document.querySelector(".messages")?.textContent ?? ""), null, {
    timeout: 30_000,
  });
  assert.equal(await page.locator("#targets .target").count(), 8);
  await page.locator('#targets .target[data-image="coffee.png"] .remove').click();
  await page.waitForFunction(() => document.querySelectorAll("#targets .target").length === 7);
  assert.deepEqual(b.errors, [], "console errors");
});

test("a link with a row opens it", async () => {
  const { page } = b;
  // A fresh load of the page (not a changed fragment of the open one).
  await page.goto("about:blank");
  await page.goto(`${b.url}#cell=8,8&side=left&left=chelsea.png&right=coffee.png&targets=astronaut.png,chelsea.png`);
  await waitReady(page);
  await rowHeat(page, "astronaut.png", "8,8");
  await rowHeat(page, "chelsea.png", "8,8");
  assert.equal(await page.locator("#targets .target").count(), 2);
  assert.deepEqual(b.errors, [], "console errors");
});
