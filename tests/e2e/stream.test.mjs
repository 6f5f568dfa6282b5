// The page's model streams block by block (weights/blocks/*.blocks.json, src/model/blocks.rs):
// heatmaps at the blocks already there while later parts arrive, a damaged part downloaded once
// more past the caches and then refused with a message, fetched again on reload, and an offline
// reload served from the cached parts.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { open, waitForStatus, SHOTS } from "./harness.mjs";
import { DEFAULT_IMAGE, waitForError, waitForHeat, waitForImage, waitReady } from "./featsim.mjs";

const PART = (block) => new RegExp(`/weights/blocks/[^/]+\\.${block}\\.[0-9a-f]{8}\\.bpk$`);
const opened = [];
after(async () => {
  for (const b of opened) await b.close();
});

/** A CPU page (the other lane's) with `routes` installed before the first request. */
async function start(routes) {
  const b = await open({ webgpu: false });
  opened.push(b);
  for (const [pattern, handler] of routes) await b.page.route(pattern, handler);
  await b.page.goto(b.url);
  await waitForImage(b.page, "left", DEFAULT_IMAGE);
  return b;
}

/** The strip's thumbnail of `block`: its data-state and label. */
async function thumb(page, block) {
  const el = page.locator(`#strip .thumb[data-block="${block}"]`);
  return { state: await el.getAttribute("data-state"), label: await el.textContent() };
}

test("a layer3 heatmap comes before layer4's part has arrived, and layer4 works once it has", async () => {
  let release;
  const held = new Promise((r) => (release = r));
  let layer4Done = false;
  const b = await start([
    [
      PART("layer4"),
      async (route) => {
        await held;
        await route.continue();
        layer4Done = true;
      },
    ],
  ]);
  const { page } = b;
  assert.equal(await waitForStatus(page, "data-weights", (v) => v === "partial" || v === "ready"), "partial");
  // The strip fills in the blocks that are here; layer4's thumbnail says it is on its way.
  await page.waitForFunction(
    () => /cell \(/.test(document.querySelector('#strip .thumb[data-block="layer3"]')?.textContent ?? ""),
    null,
    { timeout: 240_000, polling: 250 },
  );
  const l4 = await thumb(page, "layer4");
  assert.equal(l4.state, "loading", l4.label);
  assert.match(l4.label, /weights arriving, \d+%/);
  // So does the block picker's option.
  const option = page.locator('#block option[value="layer4"]');
  assert.equal(await option.getAttribute("data-state"), "loading");
  assert.match(await option.textContent(), /layer4 · 16×16 · weights arriving, \d+%/);
  assert.match(await page.textContent("#status"), /layer1–layer3 ready · weights [\d.]+ MB \/ [\d.]+ MB/);
  // The default view asks for layer4: its panel says why there is no heatmap yet.
  assert.match(await page.locator(".panel").nth(1).textContent(), /layer4 weights arriving/);
  await page.click('#strip .thumb[data-block="layer3"]');
  const h3 = await waitForHeat(page, "right", { block: "layer3" });
  assert.equal(h3.rows, 32);
  assert.equal(layer4Done, false, "layer4's part was still held back");
  assert.equal(await page.getAttribute("#status", "data-weights"), "partial");
  await page.screenshot({ path: `${SHOTS}/stream-layer3-before-layer4.png` });

  release();
  await waitReady(page);
  assert.equal((await thumb(page, "layer4")).state, "ready");
  assert.equal(await page.locator('#block option[value="layer4"]').textContent(), "layer4 · 16×16");
  await page.click('#strip .thumb[data-block="layer4"]');
  const h4 = await waitForHeat(page, "right", { block: "layer4" });
  assert.equal(h4.rows, 16);
  assert.match(await page.textContent("#status"), /f16, trunk only, 4 parts · [\d.]+ MB loaded in/);
  assert.deepEqual(b.errors, [], "console errors");
});

test("a part with a flipped byte is fetched once more, then refused with a message; the blocks before it keep working, a reload fetches it again, and offline the reload uses the cached parts", async () => {
  let flipped = 0;
  const b = await start([
    [
      PART("layer3"),
      async (route) => {
        const res = await route.fetch();
        const body = Buffer.from(await res.body());
        body[body.length >> 1] ^= 0x10;
        flipped++;
        await route.fulfill({ response: res, body });
      },
    ],
  ]);
  const { page } = b;
  const msg = await waitForError(page, "does not match its SHA-256", 240_000);
  assert.match(msg, /layer3\.[0-9a-f]{8}\.bpk does not match its SHA-256 in the manifest/);
  // The first refusal sent the page past every cache for a second copy, which was damaged too.
  assert.equal(flipped, 2);
  assert.equal(await page.getAttribute("#status", "data-weights"), "partial");
  assert.match(await page.textContent("#status"), /only layer1–layer2 ready: .* \(reload to try again\)/);
  for (const [block, state] of [["layer2", "ready"], ["layer3", "missing"], ["layer4", "missing"]]) {
    assert.equal((await thumb(page, block)).state, state, block);
  }
  // layer2 still computes; nothing is ever shown from the refused part.
  await page.click('#strip .thumb[data-block="layer2"]');
  const h2 = await waitForHeat(page, "right", { block: "layer2" });
  assert.equal(h2.rows, 64);
  await page.click('#strip .thumb[data-block="layer3"]');
  await page.waitForFunction(() => !document.querySelector("#right-heat")?.hasAttribute("data-values"), null, {
    timeout: 30_000,
    polling: 200,
  });
  assert.match(await page.textContent("body"), /layer3 weights did not load/);

  // Reload with the network healthy: the part is fetched again, and checks out.
  await page.unroute(PART("layer3"));
  await page.reload();
  await waitReady(page);
  await waitForHeat(page, "right");

  // Once the offline copy is complete, a reload with the network cut loads every part from it.
  await page.waitForFunction(() => document.documentElement.dataset.offline === "ready", null, {
    timeout: 240_000,
    polling: 250,
  });
  await page.context().setOffline(true);
  await page.reload();
  await waitReady(page);
  await waitForHeat(page, "right");
  await page.context().setOffline(false);
});
