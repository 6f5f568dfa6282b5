// Similarity view in real Chromium (WebGPU on SwiftShader): self-similarity peaks at the clicked
// cell with 1.0; hover previews, keyboard, reverse direction, top-k marks, the block strip and a
// link that restores the view; and the CPU fallback computes the same values as WebGPU.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { open, waitForStatus, SHOTS } from "./harness.mjs";
import {
  argmax,
  clickCell,
  DEFAULT_IMAGE,
  hoverCell,
  maxAbsDiff,
  openDefault,
  waitForHeat,
  waitForImage,
  waitReady,
} from "./featsim.mjs";

const CELL = [5, 9];
let gpu;
/** The right heatmap for CELL at layer4 on WebGPU, kept for the CPU comparison. */
let gpuMap;

before(async () => {
  // The default view: the gallery's cat on both sides.
  gpu = await openDefault({ webgpu: true });
  await waitForImage(gpu.page, "right", DEFAULT_IMAGE);
});

after(async () => {
  await gpu?.close();
});

test("self-similarity: the clicked cell's best match is itself, at 1.0", async () => {
  const { page } = gpu;
  for (const [r, c] of [CELL, [12, 3]]) {
    await clickCell(page, "left", r, c);
    const m = await waitForHeat(page, "right", { cell: `${r},${c}`, pinned: "true", block: "layer4" });
    assert.equal(m.rows, 16);
    assert.equal(m.cols, 16);
    assert.equal(m.values.length, 256);
    const [i, v] = argmax(m.values);
    assert.deepEqual([Math.floor(i / m.cols), i % m.cols], [r, c], "maximum at the clicked cell");
    assert.ok(Math.abs(v - 1) <= 1e-3, `self-similarity ${v} is 1`);
    assert.ok(m.values.every((x) => x >= -1 - 1e-4 && x <= 1 + 1e-4), "cosines lie in [-1, 1]");
    if (r === CELL[0]) gpuMap = m;
    // The best match is marked first, with k = 3 marks.
    const marks = await page.locator("#right-stage .cell.top").evaluateAll((els) => els.map((e) => e.dataset.cell));
    assert.equal(marks.length, 3);
    assert.equal(marks[0], `${r},${c}`);
  }
  assert.match(await page.textContent("#right-value"), /point at the heatmap|cell \(/);
  assert.deepEqual(gpu.errors, [], "console errors");
});

test("hover previews, arrow keys move the pin, the strip and the reverse direction follow", async () => {
  const { page } = gpu;
  await clickCell(page, "left", ...CELL);
  await waitForHeat(page, "right", { cell: CELL.join(","), pinned: "true" });
  // Hovering another cell previews it …
  await hoverCell(page, "left", 2, 2);
  await waitForHeat(page, "right", { cell: "2,2", pinned: "false" });
  assert.equal(await page.locator("#left-stage .cell.pin").count(), 1, "the pin stays marked");
  // … and the value under the pointer shows on the right.
  await hoverCell(page, "right", 2, 2);
  await page.waitForFunction(() => /cell \(2, 2\): 1\.000/.test(document.querySelector("#right-value")?.textContent));
  // Arrow keys move the pinned cell.
  await page.focus("#left-stage");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowDown");
  await waitForHeat(page, "right", { cell: `${CELL[0] + 1},${CELL[1] + 1}`, pinned: "true" });
  // The strip shows the same spot at all four blocks.
  await page.waitForFunction(
    () => document.querySelectorAll("#strip .thumb").length === 4 && /layer4/.test(document.querySelector("#strip-title")?.textContent),
  );
  const labels = await page.locator("#strip .thumb-label").allTextContents();
  assert.deepEqual(
    labels.map((l) => l.split(" · ")[0]),
    ["layer1", "layer2", "layer3", "layer4"],
  );
  assert.match(labels[0], /128×128 · cell \(\d+, \d+\)/);
  // Clicking on the right compares the other way: the heatmap moves to the left panel.
  await clickCell(page, "right", 8, 8);
  const rev = await waitForHeat(page, "left", { cell: "8,8", source: "right", pinned: "true" });
  const [i, v] = argmax(rev.values);
  assert.equal(i, 8 * 16 + 8);
  assert.ok(Math.abs(v - 1) <= 1e-3);
  // Another block: a finer grid, the pinned cell moved onto it.
  await page.selectOption("#block", "layer3");
  const l3 = await waitForHeat(page, "left", { block: "layer3", source: "right", pinned: "true" });
  assert.equal(l3.rows, 32);
  assert.equal(l3.cell, "17,17");
  await page.selectOption("#block", "layer4");
  await clickCell(page, "left", ...CELL);
  await waitForHeat(page, "right", { cell: CELL.join(","), pinned: "true", block: "layer4" });
  // The main view for the record (docs/screenshot.png is a copy): the range stretched to the map.
  await page.mouse.move(5, 5);
  await page.evaluate(() => document.activeElement?.blur());
  await page.selectOption("#range", "stretch");
  await page.waitForFunction(
    () =>
      document.querySelector("#right-stage")?.closest(".panel")?.querySelector(".colorbar .lo")?.textContent !== "-1.00" &&
      /cell \(5, 9\)/.test(document.querySelector("#strip-title")?.textContent),
  );
  await page.setViewportSize({ width: 1280, height: 1040 });
  await page.screenshot({ path: `${SHOTS}/main.png` });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.selectOption("#range", "fixed");
  // The heatmap as shown downloads as a PNG.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click("#right-stage ~ .panel-foot button:has-text('Download heatmap PNG')"),
  ]);
  assert.equal(download.suggestedFilename(), "featsim-chelsea-chelsea-layer4-r5c9.png");
  // On a phone-sized screen the panels stack.
  await page.setViewportSize({ width: 390, height: 844 });
  const [l, r] = [await page.locator("#left-stage").boundingBox(), await page.locator("#right-stage").boundingBox()];
  assert.ok(l.y + l.height <= r.y, `left ${JSON.stringify(l)} above right ${JSON.stringify(r)}`);
  assert.ok(r.x + r.width <= 390, "no sideways scrolling");
  await page.screenshot({ path: `${SHOTS}/phone.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  assert.deepEqual(gpu.errors, [], "console errors");
});

// The link is opened in a second browser without WebGPU: a fresh visit restores the view there,
// and the same browser then checks the CPU backend's values against WebGPU's.
let cpu;

after(async () => {
  await cpu?.close();
});

test("a copied link restores model, block, size, cell, colours and gallery images", async () => {
  const { page } = gpu;
  await page.selectOption("#block", "layer3");
  await page.selectOption("#cmap", "magma");
  await clickCell(page, "left", 20, 11);
  await waitForHeat(page, "right", { cell: "20,11", block: "layer3", pinned: "true" });
  await page.click("#copy-link");
  const link = await page.locator("#link").inputValue();
  assert.match(link, /#model=default&block=layer3&size=512&cell=20,11&side=left&cmap=magma/);
  assert.match(link, /left=chelsea\.png&right=chelsea\.png$/);
  cpu = await open({ webgpu: false });
  // The link's fragment on this browser's own server.
  await cpu.page.goto(cpu.url + link.slice(link.indexOf("#")));
  await waitReady(cpu.page);
  const m = await waitForHeat(cpu.page, "right", { cell: "20,11", block: "layer3", pinned: "true", image: "chelsea.png" }, 400_000);
  assert.equal(m.rows, 32);
  assert.equal(await cpu.page.locator("#cmap").inputValue(), "magma");
  assert.equal(await cpu.page.locator("#block").inputValue(), "layer3");
  assert.equal(await cpu.page.locator("#size").inputValue(), "512");
  assert.equal(await cpu.page.locator("#left-stage").getAttribute("data-image"), "chelsea.png");
  assert.equal(await cpu.page.locator("#left-stage .cell.pin").count(), 1);
});

test("without WebGPU the CPU backend gives the same heatmap values", async () => {
  assert.ok(gpuMap, "the WebGPU map was recorded");
  assert.ok(cpu, "the CPU browser is open");
  const { page } = cpu;
  assert.equal(await waitForStatus(page, "data-backend", (v) => v !== "starting"), "cpu");
  await page.selectOption("#block", "layer4");
  await clickCell(page, "left", ...CELL);
  const m = await waitForHeat(page, "right", { cell: CELL.join(","), pinned: "true", block: "layer4" }, 400_000);
  const d = maxAbsDiff(m.values, gpuMap.values);
  console.log(`CPU vs WebGPU, chelsea layer4 cell ${CELL}: max |Δ| = ${d.toExponential(2)}`);
  assert.ok(d <= 1e-4, `max |CPU − WebGPU| = ${d}`);
  assert.deepEqual(cpu.errors, [], "console errors");
});
