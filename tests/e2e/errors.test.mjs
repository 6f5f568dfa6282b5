// Bad input is a visible, dismissable message and the page keeps working: a corrupt image, an image
// over the pixel limit, a file that is no image, weights of the wrong kind, files over the size
// limits. A visitor's torchvision .safetensors file loads with progress and is used. A panic puts
// up a banner with a reload.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, truncateSync } from "node:fs";
import { deflateSync } from "node:zlib";
import { waitForStatus, SHOTS } from "./harness.mjs";
import { clickCell, openDefault, waitForError, waitForHeat } from "./featsim.mjs";

let b;

/** CRC-32 for PNG chunks. */
function crc32(buf) {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A PNG whose header claims `w`×`h` pixels (a decompression bomb's shape, without the bomb). */
function hugePng(w, h) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.alloc(16))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Creates `path` if need be; returns it (for truncateSync, which wants an existing file). */
function openClose(path) {
  closeSync(openSync(path, "a"));
  return path;
}

/** A well-formed .safetensors file holding one tensor that no ResNet has. */
function foreignSafetensors() {
  const header = Buffer.from(JSON.stringify({ "encoder.weight": { dtype: "F32", shape: [2], data_offsets: [0, 8] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.alloc(8)]);
}

before(async () => {
  // On the CPU backend: what this file tests does not depend on the device, and on SwiftShader
  // every page load costs two 512² forward passes of about a minute each. The WebGPU path is
  // tested in boot, device-lost, similarity and voc.
  b = await openDefault({ webgpu: false });
  await waitForHeat(b.page, "right", { pinned: "true" });
});

after(async () => {
  await b?.close();
});

test("unreadable and oversized images are refused with a message; the old image stays", async () => {
  const { page } = b;
  const gallery = readFileSync("gallery/coffee.png");
  const cases = [
    ["broken.png", "image/png", gallery.subarray(0, gallery.length / 2), /broken\.png: the image could not be decoded/],
    ["huge.png", "image/png", hugePng(20000, 20000), /huge\.png: the image is 20000×20000 = 400\.0 megapixels; the limit is 40 megapixels/],
    ["notes.txt", "text/plain", Buffer.from("not an image"), /notes\.txt: unsupported image format/],
  ];
  for (const [name, mimeType, buffer, pattern] of cases) {
    await page.setInputFiles("#left-file", { name, mimeType, buffer });
    const text = await waitForError(page, name);
    assert.match(text, pattern);
    assert.equal(await page.locator("#left-stage").getAttribute("data-image"), "chelsea.png");
  }
  // Messages can be dismissed.
  const before = await page.locator(".message").count();
  await page.locator(".message .dismiss").first().click();
  assert.equal(await page.locator(".message").count(), before - 1);
});

test("dropped and pasted files reach the same checks", async () => {
  const { page } = b;
  // A DataTransfer holding one file that is no image, made in the page.
  const transfer = (name) =>
    page.evaluateHandle((n) => {
      const dt = new DataTransfer();
      dt.items.add(new File(["plain text"], n, { type: "text/plain" }));
      return dt;
    }, name);
  await page.dispatchEvent("#right-stage", "drop", { dataTransfer: await transfer("dropped.txt") });
  assert.match(await waitForError(page, "dropped.txt"), /unsupported image format/);
  const pasted = await transfer("pasted.txt");
  await page.evaluate((dt) => document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true })), pasted);
  assert.match(await waitForError(page, "pasted.txt"), /unsupported image format/);
  assert.equal(await page.locator("#right-stage").getAttribute("data-image"), "chelsea.png");
});

test("weights of the wrong kind are refused; the model in use stays", async () => {
  const { page } = b;
  await page.setInputFiles("#weights-file", { name: "wrong.bpk", mimeType: "application/octet-stream", buffer: Buffer.from("definitely not burnpack") });
  await waitForError(page, "wrong.bpk");
  await page.setInputFiles("#weights-file", { name: "bert.safetensors", mimeType: "application/octet-stream", buffer: foreignSafetensors() });
  assert.match(await waitForError(page, "bert.safetensors"), /not a torchvision ResNet state dict/);
  assert.equal(await page.locator("#model option").count(), 1, "refused files leave the picker");
  assert.equal(await waitForStatus(page, "data-weights", (v) => v === "ready"), "ready");
  await page.screenshot({ path: `${SHOTS}/errors.png` });
});

test("files over the size limits are refused before a byte is read; the page keeps working", async () => {
  const { page } = b;
  // Sparse files: the sizes are real to the browser, the disk holds nothing. Past 2 GiB a size
  // once overflowed a 32-bit capacity and killed the page; past 4 GiB it wrapped.
  const dir = "target/e2e";
  mkdirSync(dir, { recursive: true });
  const huge = `${dir}/huge.bpk`;
  const big = `${dir}/big.png`;
  truncateSync(openClose(huge), 2_500_000_000);
  truncateSync(openClose(big), 200_000_000);
  await page.setInputFiles("#weights-file", huge);
  assert.match(await waitForError(page, "huge.bpk"), /huge\.bpk is 2\.5 GB: FeatSim reads weights files of up to 1\.0 GB/);
  assert.equal(await page.locator("#model option").count(), 1, "the refused file leaves the picker");
  await page.setInputFiles("#left-file", big);
  assert.match(await waitForError(page, "big.png"), /big\.png is 200\.0 MB: FeatSim reads images of up to 150\.0 MB/);
  assert.equal(await page.locator("#left-stage").getAttribute("data-image"), "chelsea.png");
  assert.equal(await waitForStatus(page, "data-weights", (v) => v === "ready"), "ready");
});

test("after the errors a heatmap still computes", async () => {
  const { page } = b;
  await clickCell(page, "left", 3, 4);
  const m = await waitForHeat(page, "right", { cell: "3,4", pinned: "true", model: "ResNet-50 · ImageNet (Keras)" });
  assert.equal(m.values.length, 256);
  assert.deepEqual(b.errors, [], "console errors");
});

test("a torchvision ResNet-18 .safetensors file loads with progress and is used", async () => {
  const { page } = b;
  const dir = "target/e2e";
  const st = `${dir}/resnet18-seed7.safetensors`;
  if (!existsSync(st)) {
    // Seeded random weights made by Debian's torchvision (the native parity tests use the same script).
    execFileSync("/usr/bin/python3", [
      "tests/reference/torchvision_ref.py", "make", "--arch", "resnet18", "--seed", "7",
      "--out-pth", `${dir}/resnet18-seed7.pth`, "--out-safetensors", st,
    ], { stdio: "inherit" });
  }
  await page.evaluate(() => (window.__statusLog = []));
  await page.setInputFiles("#weights-file", st);
  const name = "ResNet-18 · resnet18-seed7.safetensors";
  const m = await waitForHeat(page, "right", { cell: "3,4", pinned: "true", model: name }, 300_000);
  assert.equal(m.rows, 16);
  assert.equal(await page.locator("#model option").count(), 2);
  const log = await page.evaluate(() => window.__statusLog);
  assert.ok(log.some((t) => /weights: \d+\.\d MB \/ 46\.8 MB/.test(t)), `reading progress in ${JSON.stringify(log)}`);
  assert.match(await page.textContent("#status"), /ResNet-18 · resnet18-seed7\.safetensors · f32, with classifier · 46\.8 MB loaded in/);
  assert.deepEqual(b.errors, [], "console errors");
});

// Last: it stops the page's wasm for good (a reload brings it back).
test("a panic puts up a banner with the message and a reload button that brings the page back", async () => {
  const { page } = b;
  const thrown = await page.evaluate(() => {
    try {
      window.wasmBindings.featsim_test_panic();
      return "returned";
    } catch (e) {
      return String(e);
    }
  });
  assert.match(thrown, /RuntimeError/);
  const banner = page.locator("#crashed[role=alert]");
  await banner.waitFor({ timeout: 10_000 });
  assert.match(await banner.textContent(), /FeatSim stopped — reload the page to go on\./);
  assert.match(await banner.locator("pre").textContent(), /featsim_test_panic was called/);
  await page.screenshot({ path: `${SHOTS}/panic.png` });
  await banner.locator("button").click();
  await page.waitForSelector("#crashed", { state: "detached", timeout: 30_000 });
  assert.equal(await waitForStatus(page, "data-weights", (v) => v === "ready" || v === "failed", 300_000), "ready");
});
