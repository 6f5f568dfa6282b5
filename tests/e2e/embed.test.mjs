// Embedding (issue #7): the full page's "Embed" button writes an <iframe> snippet for the current
// view; a blog-like page with that snippet shows only the two panels and a one-line bar, restored
// from the fragment, waits for the reader's click before it downloads the model (#12), and
// clicking a cell inside the frame gives self-similarity 1.0 at that cell. The features are
// computed once, inside the frame.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open, SHOTS } from "./harness.mjs";
import { argmax, waitForHeat, waitForImage } from "./featsim.mjs";
import { serve } from "../../scripts/serve.mjs";

const FRAGMENT =
  "model=default&block=layer4&size=512&cell=5,9&side=left&cmap=magma&range=fixed&k=3&opacity=0.70&mode=explore&left=chelsea.png&right=chelsea.png";
/** The cell clicked inside the frame. */
const CLICK = [3, 12];

let b;
/** The snippet the full page's Embed button gave. */
let snippet;
/** The blog's own server (another origin: another port) and its folder. */
let blog, blogDir;

before(async () => {
  // On the CPU backend: what this file tests does not depend on the device, and on SwiftShader
  // every page load costs two 512² forward passes of about a minute each. The WebGPU path is
  // tested in boot, device-lost, similarity and voc.
  b = await open({ webgpu: false });
});

after(async () => {
  await b?.close();
  blog?.close();
  if (blogDir) rmSync(blogDir, { recursive: true, force: true });
});

/** Unescapes the few entities the snippet's attributes use. */
const unescape = (s) => s.replaceAll("&quot;", '"').replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");

test("the full page's Embed button gives an <iframe> snippet for the current view", async () => {
  const { page, url } = b;
  await page.goto(`${url}#${FRAGMENT}`);
  await page.waitForSelector("header h1", { timeout: 30_000 });
  // The gallery images are in the view (and so in the fragment) once they are decoded.
  await waitForImage(page, "left", "chelsea.png");
  await waitForImage(page, "right", "chelsea.png");
  await page.click("#embed");
  const code = await page.locator("#embed-code").inputValue();
  assert.ok(code.startsWith("<iframe "), code);
  assert.ok(code.endsWith("></iframe>"), code);
  assert.ok(code.includes("?embed=1#"), code);
  assert.match(code, / width="800" height="420" style="border:0" loading="lazy" title="FeatSim: [^"]+"/);
  const src = unescape(code.match(/ src="([^"]*)"/)[1]);
  assert.ok(src.startsWith(`${url}?embed=1#model=default&block=layer4&size=512&cell=5,9&side=left&cmap=magma`), src);
  assert.ok(src.endsWith("mode=explore&left=chelsea.png&right=chelsea.png"), src);
  assert.match(unescape(code.match(/ title="([^"]*)"/)[1]), /chelsea\.png.*layer4.*\(5, 9\)/);
  assert.equal(await page.locator("#embed-code").getAttribute("readonly"), "");
  assert.equal(await page.locator("#embed-copy").count(), 1);
  snippet = code;
});

test("an embedded view in a blog page: only the panels, and a click in the frame compares that cell", async () => {
  assert.ok(snippet, "the snippet was recorded");
  const { page, url } = b;
  const t0 = Date.now();
  // A blog post with the snippet pasted in, on its own origin (another port of this machine, as
  // a blog embeds FeatSim from elsewhere); leaving the full page stops its work, so the features
  // are computed once, in the frame.
  blogDir = mkdtempSync(join(tmpdir(), "featsim-blog-"));
  writeFileSync(join(blogDir, "index.html"), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A blog post</title><link rel="icon" href="data:,">
<style>body{font:16px/1.5 Georgia,serif;max-width:860px;margin:1rem auto;padding:0 1rem}</style></head>
<body><h1>What does a ResNet see in a cat?</h1>
<p>Click a cell on the left: the right image lights up where layer4 finds the same thing.</p>
${snippet}
<p>Text after the figure.</p></body></html>`);
  blog = await serve(blogDir, 0);
  await page.goto(`http://127.0.0.1:${blog.address().port}/`);
  const iframe = page.locator("iframe");
  const frame = await (await iframe.elementHandle()).contentFrame();
  assert.ok(frame, "the iframe has a frame");
  await frame.waitForSelector(".embed", { timeout: 60_000 });
  // A live embed (no bundle) waits for its reader before it downloads the model, and says so.
  await frame.waitForFunction(() => /click to run ResNet-50 here/.test(document.querySelector(".embed-bar .note")?.textContent ?? ""), null, {
    timeout: 120_000,
    polling: 250,
  });
  await waitForImage(frame, "left", "chelsea.png");
  const early = await frame.evaluate(() => performance.getEntriesByType("resource").map((e) => e.name));
  assert.ok(!early.some((u) => u.endsWith(".bpk")), `no weights before the reader asks: ${early.join(" ")}`);
  await page.screenshot({ path: `${SHOTS}/embed-waiting.png` });
  // The reader clicks the fragment's pinned cell: the model loads, and its self-similarity shows.
  {
    const stage = frame.locator("#left-stage");
    const box = await stage.boundingBox();
    const n = Number(await stage.getAttribute("data-rows"));
    await page.mouse.click(box.x + (9.5 / n) * box.width, box.y + (5.5 / n) * box.height);
  }
  const first = await waitForHeat(frame, "right", { cell: "5,9", pinned: "true", block: "layer4", image: "chelsea.png" }, 400_000);
  const backend = await frame.locator(".embed").getAttribute("data-backend");
  console.log(`embed: first heatmap after ${((Date.now() - t0) / 1000).toFixed(1)} s on ${backend}`);
  assert.equal(first.rows, 16);
  assert.equal(argmax(first.values)[0], 5 * 16 + 9);

  // Click a left cell inside the frame: boxes of elements in a frame are in page coordinates.
  const stage = frame.locator("#left-stage");
  const rows = Number(await stage.getAttribute("data-rows"));
  const cols = Number(await stage.getAttribute("data-cols"));
  const box = await stage.boundingBox();
  const [r, c] = CLICK;
  await page.mouse.click(box.x + ((c + 0.5) / cols) * box.width, box.y + ((r + 0.5) / rows) * box.height);
  const m = await waitForHeat(frame, "right", { cell: `${r},${c}`, pinned: "true", block: "layer4" }, 120_000);
  assert.equal(m.values.length, rows * cols);
  const [i, v] = argmax(m.values);
  assert.deepEqual([Math.floor(i / m.cols), i % m.cols], [r, c], "maximum at the clicked cell");
  assert.ok(Math.abs(v - 1) <= 1e-3, `self-similarity ${v} is 1`);
  assert.equal(await frame.locator("#left-stage .cell.pin").count(), 1);
  await page.mouse.move(5, 5);
  await page.screenshot({ path: `${SHOTS}/embed.png` });

  // Only the panels and the small bar: none of the full page's header, settings, strip or status.
  for (const sel of ["header.top", ".toolbar", "#block", "#copy-link", "#embed", "#strip", ".about", "#status", "#same-image"]) {
    assert.equal(await frame.locator(sel).count(), 0, `${sel} is not in the embed`);
  }
  assert.equal(await frame.locator("#messages").count(), 1, "the message area is there");
  assert.equal(await frame.locator("#embed-block").inputValue(), "layer4");
  // The link to the full page: same view, a new tab.
  const open_ = frame.locator("#embed-open");
  assert.equal(await open_.getAttribute("target"), "_blank");
  const href = await open_.getAttribute("href");
  assert.ok(href.startsWith(`${url}#model=default&block=layer4&size=512&cell=${r},${c}&side=left&cmap=magma`), href);
  assert.ok(!href.includes("embed=1"), href);
  // Sized to the iframe: panels side by side inside it, and no scrollbars.
  const fb = await iframe.boundingBox();
  const [l, rt] = [await frame.locator("#left-stage").boundingBox(), await frame.locator("#right-stage").boundingBox()];
  assert.equal(Math.round(fb.width), 800);
  assert.equal(Math.round(fb.height), 420);
  assert.ok(l.x + l.width <= rt.x, `left ${JSON.stringify(l)} beside right ${JSON.stringify(rt)}`);
  for (const s of [l, rt]) {
    assert.ok(s.x >= fb.x && s.x + s.width <= fb.x + fb.width + 0.5, `stage ${JSON.stringify(s)} inside the frame ${JSON.stringify(fb)}`);
    assert.ok(s.y >= fb.y && s.y + s.height <= fb.y + fb.height + 0.5, `stage ${JSON.stringify(s)} inside the frame ${JSON.stringify(fb)}`);
    assert.ok(s.width > 300, `stage ${JSON.stringify(s)} uses the frame's width`);
  }
  const overflow = await frame.evaluate(() =>
    [document.documentElement, document.body, document.querySelector(".embed")].map((e) => [
      e.scrollWidth - e.clientWidth,
      e.scrollHeight - e.clientHeight,
    ]),
  );
  assert.ok(overflow.flat().every((d) => d <= 0), `no scrollbars: ${JSON.stringify(overflow)}`);
  // Another block from the embed's picker.
  await frame.selectOption("#embed-block", "layer3");
  const l3 = await waitForHeat(frame, "right", { block: "layer3", pinned: "true" }, 240_000);
  assert.equal(l3.rows, 32);
  assert.deepEqual(b.errors, [], "console errors");
  console.log(`embed: test page done after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

test("errors still show inside the frame", async () => {
  const { page } = b;
  const frame = await (await page.locator("iframe").elementHandle()).contentFrame();
  // A link in the same frame that names an image the gallery lacks.
  await frame.evaluate(() => {
    location.hash = "block=layer4&left=no-such.png&right=chelsea.png";
  });
  const msg = frame.locator(".message.error", { hasText: "no-such.png" });
  await msg.first().waitFor({ timeout: 30_000 });
  const mb = await msg.first().boundingBox();
  const fb = await page.locator("iframe").boundingBox();
  assert.ok(mb.y >= fb.y && mb.y + mb.height <= fb.y + fb.height, "the message is inside the frame");
  assert.ok(await msg.first().isVisible());
  await page.screenshot({ path: `${SHOTS}/embed-error.png` });
});
