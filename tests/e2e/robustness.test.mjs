// The robustness sweep in the page (issue #7): every fixture of tests/reference/bad_images.py goes
// through the left panel's file input. Each is either shown at its upright size (EXIF applied,
// first GIF frame) or refused with a message naming the file — and afterwards the page still
// computes a heatmap. Runs without WebGPU: the accepted images' features are quick on the CPU.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SHOTS } from "./harness.mjs";
import { clickCell, openDefault, waitForError, waitForHeat, waitForImage } from "./featsim.mjs";

const DIR = "target/test-data/bad-images-e2e";
let b;

before(async () => {
  mkdirSync(DIR, { recursive: true });
  execFileSync("/usr/bin/python3", ["tests/reference/bad_images.py", DIR]);
  b = await openDefault({ webgpu: false });
});

after(async () => {
  await b?.close();
});

test("every odd or bad image is shown upright or refused with a message; no crash", async () => {
  const { page } = b;
  const expect = JSON.parse(readFileSync(join(DIR, "expect.json"), "utf8"));
  let accepted = 0;
  let refused = 0;
  for (const [name, e] of Object.entries(expect)) {
    await page.setInputFiles("#left-file", { name, mimeType: "application/octet-stream", buffer: readFileSync(join(DIR, name)) });
    if (e.expect === "ok") {
      await waitForImage(page, "left", name);
      const caption = await page.textContent(".panel:has(#left-stage) .caption");
      assert.match(caption, new RegExp(`${name.replace(/\./g, "\\.")} · ${e.width}×${e.height}`), `${name}: ${caption}`);
      accepted++;
    } else {
      const text = await waitForError(page, name);
      assert.ok(text.toLowerCase().includes(e.contains), `${name}: ${text}`);
      refused++;
    }
  }
  console.log(`${accepted + refused} images through the page: ${accepted} shown, ${refused} refused, 0 crashes`);
  // Still working: back to the cat, a heatmap computes.
  await page.selectOption("#left-gallery", "chelsea.png");
  await waitForImage(page, "left", "chelsea.png");
  await clickCell(page, "left", 6, 6);
  const m = await waitForHeat(page, "right", { cell: "6,6", pinned: "true" });
  assert.equal(m.values.length, 256);
  await page.screenshot({ path: `${SHOTS}/robustness.png` });
  assert.deepEqual(b.errors, [], "console errors");
});
