// A lost GPU device mid-run (issue #7): destroyed through the page's test hook, as a driver reset
// would lose it. The page says so, moves to the CPU with the same model and view, and the next
// click computes a heatmap there. The same for a WebGPU validation error nobody captured (#14):
// cubecl-wgpu's own handler would panic, which in a page is a dead tab.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { waitForStatus, SHOTS } from "./harness.mjs";
import { argmax, clickCell, openDefault, waitForError, waitForHeat, waitReady } from "./featsim.mjs";

let b;

/** Clicks left cell (row, col) and checks the right map (the same image) peaks there at 1. */
async function selfSimilarAt(page, row, col) {
  await clickCell(page, "left", row, col);
  const m = await waitForHeat(page, "right", { cell: `${row},${col}`, pinned: "true" });
  const [i, v] = argmax(m.values);
  assert.deepEqual([Math.floor(i / m.cols), i % m.cols], [row, col]);
  assert.ok(Math.abs(v - 1) <= 1e-3, `self-similarity ${v}`);
}

before(async () => {
  b = await openDefault({ webgpu: true });
});

after(async () => {
  await b?.close();
});

test("after the GPU device is lost the page recovers on the CPU", async () => {
  const { page } = b;
  await clickCell(page, "left", 4, 6);
  await waitForHeat(page, "right", { cell: "4,6", pinned: "true" });
  assert.equal(await page.getAttribute("#status", "data-backend"), "webgpu");
  await waitForStatus(page, "data-busy", (v) => v === "idle");

  const lost = await page.evaluate(() => window.wasmBindings.featsim_test_lose_gpu());
  assert.equal(lost, true, "the hook found a GPU device");
  assert.match(await waitForError(page, "GPU device was lost"), /continuing on the CPU/);
  await waitForStatus(page, "data-backend", (v) => v === "cpu", 60_000);
  await waitReady(page);

  assert.equal(await page.locator("#messages button.action").count(), 0, "a stale 'Switch to CPU' offer");

  await selfSimilarAt(page, 9, 3);
  await page.screenshot({ path: `${SHOTS}/device-lost.png` });
  // WebGPU itself may log the loss; nothing else may fail.
  const other = b.errors.filter((e) => !/lost|destroy/i.test(e));
  assert.deepEqual(other, [], "console errors besides the loss itself");
});

test("an uncaptured WebGPU validation error moves the page to the CPU instead of killing it", async () => {
  const v = await openDefault({ webgpu: true });
  try {
    const { page } = v;
    await clickCell(page, "left", 2, 2);
    await waitForHeat(page, "right", { cell: "2,2", pinned: "true" });
    assert.equal(await page.getAttribute("#status", "data-backend"), "webgpu");
    await waitForStatus(page, "data-busy", (val) => val === "idle");

    const raised = await page.evaluate(() => window.wasmBindings.featsim_test_gpu_validation_error());
    assert.equal(raised, true, "the hook found a GPU device");
    // 60 s was too short once, while the other e2e lane loaded both cores (alone it passed twice).
    const message = await waitForError(page, "The GPU failed (validation error)", 180_000);
    assert.match(message, /Continuing on the CPU/);
    await waitForStatus(page, "data-backend", (val) => val === "cpu", 60_000);
    await waitReady(page);

    await selfSimilarAt(page, 7, 5);
    assert.equal(await page.locator("#crashed").count(), 0, "the panic banner");
    // The browser may log the validation error itself; no other error, and no panic.
    const other = v.errors.filter((e) => !/invalid|usage|validation|CreateBuffer/i.test(e));
    assert.deepEqual(other, [], "console errors besides the validation error");
  } finally {
    await v.close();
  }
});
