// Page helpers for the e2e tests: waiting for the page and its heatmaps, clicking grid cells,
// reading the values the page exposes (data-* hooks documented in src/ui/components/panel.rs and
// src/ui/components/segment_controls.rs), and the CLI and data they are compared with.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { open, waitForStatus } from "./harness.mjs";

export const ROOT = resolve(".");
/** The VOC sample: `../shared/voc` beside the checkout. */
export const VOC = resolve(ROOT, "..", "shared", "voc");
export const WEIGHTS = "weights/resnet50-imagenet.bpk";
const CLI = join(ROOT, "target", "debug", "featsim");
/** The gallery image the page opens with, on both sides. */
export const DEFAULT_IMAGE = "chelsea.png";

/**
 * A fresh browser (`opts` as for harness `open`) on the page's default view: the weights on the
 * device and the default image in the left panel. Returns the harness handle.
 */
export async function openDefault(opts) {
  const b = await open(opts);
  await b.page.goto(b.url);
  await waitReady(b.page);
  await waitForImage(b.page, "left", DEFAULT_IMAGE);
  return b;
}

/** A VOC photo of the sample by name (e.g. "2007_000528"). */
export const vocJpg = (name) => join(VOC, "JPEGImages", `${name}.jpg`);
/** Its ground-truth mask. */
export const vocPng = (name) => join(VOC, "SegmentationClass", `${name}.png`);

/**
 * A fresh browser (`opts` as for harness `open`) on a page with empty panels (a link without
 * images, so no gallery image is computed first), then the VOC photos `left` and `right` opened
 * through the panels' file inputs. Returns the harness handle.
 */
export async function openVocPair(opts, left, right) {
  if (!existsSync(vocJpg(left))) throw new Error(`the VOC sample is not at ${VOC}`);
  const b = await open(opts);
  await b.page.goto(`${b.url}#left=&right=`);
  await waitReady(b.page);
  await b.page.setInputFiles("#left-file", vocJpg(left));
  await b.page.setInputFiles("#right-file", vocJpg(right));
  await waitForImage(b.page, "left", `${left}.jpg`);
  await waitForImage(b.page, "right", `${right}.jpg`);
  return b;
}

/** Waits until the device is up and the default weights are on it. */
export async function waitReady(page) {
  await page.waitForSelector("header h1", { timeout: 30_000 });
  const w = await waitForStatus(page, "data-weights", (v) => v === "ready" || v === "failed", 300_000);
  if (w !== "ready") throw new Error(`weights: ${await page.textContent("#status")}`);
}

/** Waits until panel `side` shows the image `name`. */
export async function waitForImage(page, side, name, timeout = 60_000) {
  await page.waitForFunction(
    ([s, n]) => document.querySelector(`#${s}-stage`)?.getAttribute("data-image") === n,
    [side, name],
    { timeout, polling: 200 },
  );
}

/**
 * Waits until the heatmap on `side` matches every attribute in `want` (e.g. { cell: "5,9",
 * pinned: "true" }) and returns { values, rows, cols, cell, block, size, image, source, model }.
 */
export async function waitForHeat(page, side, want = {}, timeout = 240_000) {
  const handle = await page.waitForFunction(
    ([s, w]) => {
      const el = document.querySelector(`#${s}-heat`);
      if (!el || !el.hasAttribute("data-values")) return null;
      const a = (k) => el.getAttribute(`data-${k}`);
      for (const [k, v] of Object.entries(w)) if (a(k) !== String(v)) return null;
      return {
        values: JSON.parse(a("values")),
        rows: Number(a("rows")),
        cols: Number(a("cols")),
        cell: a("cell"),
        block: a("block"),
        size: Number(a("size")),
        image: a("image"),
        source: a("source"),
        model: a("model"),
        pinned: a("pinned"),
      };
    },
    [side, want],
    { timeout, polling: 250 },
  );
  return handle.jsonValue();
}

/** The grid of panel `side`: { rows, cols, box }. */
export async function stageGrid(page, side) {
  const el = page.locator(`#${side}-stage`);
  const rows = Number(await el.getAttribute("data-rows"));
  const cols = Number(await el.getAttribute("data-cols"));
  return { rows, cols, box: await el.boundingBox() };
}

/** Clicks the centre of cell (r, c) of panel `side`. */
export async function clickCell(page, side, r, c) {
  const { rows, cols, box } = await stageGrid(page, side);
  const x = box.x + ((c + 0.5) / cols) * box.width;
  const y = box.y + ((r + 0.5) / rows) * box.height;
  await page.mouse.click(x, y);
}

/** Moves the pointer over the centre of cell (r, c) of panel `side`. */
export async function hoverCell(page, side, r, c) {
  const { rows, cols, box } = await stageGrid(page, side);
  await page.mouse.move(box.x + ((c + 0.5) / cols) * box.width, box.y + ((r + 0.5) / rows) * box.height);
}

/** Index and value of the largest element. */
export function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return [best, values[best]];
}

/** Largest absolute difference of two equal-length arrays. */
export function maxAbsDiff(a, b) {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

/** Waits for a visible error message containing `text`; returns its text. */
export async function waitForError(page, text, timeout = 60_000) {
  const loc = page.locator(".message.error", { hasText: text });
  await loc.first().waitFor({ timeout });
  return loc.first().textContent();
}

/** Runs the featsim CLI (built by `make`; built here when missing) and returns its stdout. */
export function featsim(args) {
  if (!existsSync(CLI)) execFileSync("cargo", ["build", "--quiet", "--bin", "featsim"], { stdio: "inherit" });
  return execFileSync(CLI, args, { encoding: "utf8", maxBuffer: 1 << 24 });
}

/** Reads a little-endian float32 .npy file: { shape, data }. */
export function readNpy(path) {
  const buf = readFileSync(path);
  if (buf.toString("latin1", 1, 6) !== "NUMPY") throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  const headerLen = major >= 2 ? buf.readUInt32LE(8) : buf.readUInt16LE(8);
  const start = (major >= 2 ? 12 : 10) + headerLen;
  const header = buf.toString("latin1", major >= 2 ? 12 : 10, start);
  if (!/'descr':\s*'<f4'/.test(header)) throw new Error(`${path}: expected <f4, header ${header}`);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${path}: Fortran order`);
  const shape = header
    .match(/'shape':\s*\(([^)]*)\)/)[1]
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = buf.readFloatLE(start + 4 * i);
  return { shape, data: Array.from(data) };
}
