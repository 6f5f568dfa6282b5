// The page mounts, picks WebGPU when the browser offers an adapter (CPU otherwise), proves the
// device computes exact numbers, and loads the default weights with progress.
import { test } from "node:test";
import assert from "node:assert/strict";
import { open, waitForStatus, SHOTS } from "./harness.mjs";

// Hand-computed: [[1,2,3],[4,5,6]]·[[7,8],[9,10],[11,12]], and a 3×3 ones kernel + bias 1 with
// padding 1 over the 4×4 image 1..16.
const MATMUL = [58, 64, 139, 154];
const CONV = [15, 25, 31, 23, 34, 55, 64, 46, 58, 91, 100, 70, 47, 73, 79, 55];

async function boot(webgpu) {
  const b = await open({ webgpu });
  try {
    await b.page.goto(b.url);
    await b.page.waitForSelector("header h1", { timeout: 30_000 });
    const backend = await waitForStatus(b.page, "data-backend", (v) => v !== "starting", 60_000);
    const selftest = JSON.parse(await waitForStatus(b.page, "data-selftest", (v) => v.length > 0, 60_000));
    // The weights: downloaded with progress, verified, on the device.
    const weights = await waitForStatus(b.page, "data-weights", (v) => v === "ready" || v === "failed", 300_000);
    const text = await b.page.textContent("#status");
    const log = await b.page.evaluate(() => window.__statusLog);
    // The first forward pass is running: on SwiftShader the GPU process can take a while to draw.
    await b.page.screenshot({ path: `${SHOTS}/boot-${webgpu ? "webgpu" : "cpu"}.png`, timeout: 120_000 });
    return { backend, selftest, weights, text, log, errors: [...b.errors] };
  } finally {
    await b.close();
  }
}

test("with WebGPU offered, the page runs on WebGPU and computes exactly", async () => {
  const r = await boot(true);
  assert.deepEqual(r.errors, [], "console errors");
  assert.equal(r.backend, "webgpu", `status: ${r.text}`);
  assert.match(r.text, /WebGPU · /);
  assert.deepEqual(r.selftest.matmul, MATMUL);
  assert.deepEqual(r.selftest.conv, CONV);
  assert.equal(r.weights, "ready", `status: ${r.text}`);
  assert.match(r.text, /ResNet-50 · ImageNet \(Keras\) · f16, trunk only, 4 parts · \d+\.\d MB loaded in \d+\.\d s/);
  // The progress bar showed bytes of the total while downloading (the first part, or the blocks
  // arriving after it).
  assert.ok(
    r.log.some((t) => /weights:? \d+\.\d MB \/ \d+\.\d MB/.test(t)),
    `no download progress seen in ${JSON.stringify(r.log)}`,
  );
});

test("without WebGPU, the page falls back to the CPU and says so", async () => {
  const r = await boot(false);
  assert.deepEqual(r.errors, [], "console errors");
  assert.equal(r.backend, "cpu", `status: ${r.text}`);
  assert.match(r.text, /CPU · /);
  assert.match(r.text, /WebGPU/, "the status bar says why WebGPU is not used");
  assert.deepEqual(r.selftest.matmul, MATMUL);
  assert.deepEqual(r.selftest.conv, CONV);
  assert.equal(r.weights, "ready", `status: ${r.text}`);
});
