// `make bench`, embed half (issue #12): a blog page with a FeatSim figure at the top, baked (a
// two-image bundle at layer3 + layer4, 512², made by `featsim bake`) and live (the model
// downloaded after the reader's click, which this script gives as soon as the figure asks), on
// the CPU path and on WebGPU (SwiftShader), in one run. For each: the time from the blog page's
// navigation to the figure's first heatmap, and the bytes the figure had received by then (its
// own Resource Timing `transferSize`s, headers included, over a server that gzips text and wasm
// as static hosts do). Writes target/bench/embed.json and prints a table.
//
// Usage: node benches/embed.mjs [DIST]
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { serve } from "../scripts/serve.mjs";
import { BASE_FLAGS, CHROMIUM, WEBGPU_FLAGS } from "../tests/e2e/harness.mjs";

const dist = process.argv[2] ?? "dist";
const OUT = "target/bench";
const TIMEOUT_MS = 15 * 60_000;
const VOC = resolve("..", "shared", "voc", "JPEGImages");
// Two VOC photos when the sample is beside the checkout (what an author would bake), else the
// gallery's.
const IMAGES = existsSync(VOC)
  ? [join(VOC, "2007_000528.jpg"), join(VOC, "2007_000876.jpg")]
  : ["gallery/chelsea.png", "gallery/coffee.png"];

if (!existsSync(join(dist, "index.html"))) throw new Error(`${dist}/index.html is missing: run \`make web\` first`);
const site = mkdtempSync(join(tmpdir(), "featsim-embed-bench-"));
cpSync(dist, site, { recursive: true });
const bake = execFileSync(
  "target/debug/featsim",
  ["bake", "--weights", "weights/blocks/resnet50-imagenet.blocks.json", "--size", "512", "--blocks", "layer3,layer4", "--out", join(site, "fig"), ...IMAGES],
  { encoding: "utf8" },
);
const names = IMAGES.map((p) => p.split("/").at(-1));
const view = `block=layer4&cell=5,9&side=left&left=${names[0]}&right=${names[1]}`;

const app = await serve(site, 0, { gzip: true });
const appUrl = `http://127.0.0.1:${app.address().port}/`;
const blogDir = mkdtempSync(join(tmpdir(), "featsim-embed-blog-"));
for (const [page, fragment] of [
  ["baked.html", `bundle=fig&${view}`],
  ["live.html", view.replace(/left=[^&]+&right=[^&]+/, "left=fig/" + names[0] + "&right=fig/" + names[1])],
]) {
  writeFileSync(
    join(blogDir, page),
    `<!doctype html><html><head><meta charset="utf-8"><title>post</title><link rel="icon" href="data:,"></head>
<body><h1>A post</h1><iframe src="${appUrl}?embed=1#${fragment}" width="800" height="420" style="border:0"></iframe></body></html>`,
  );
}
const blog = await serve(blogDir, 0);
const blogUrl = `http://127.0.0.1:${blog.address().port}/`;

/** One load of a blog page: { ms, bytes, requests } up to the figure's first heatmap. */
async function run(pageName, webgpu) {
  const profile = mkdtempSync(join(tmpdir(), "featsim-embed-profile-"));
  const args = [...BASE_FLAGS, ...(webgpu ? WEBGPU_FLAGS : ["--disable-features=WebGPU"])];
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(blogUrl + pageName);
    const navigation = await page.evaluate(() => performance.timeOrigin);
    const frame = await (await page.locator("iframe").elementHandle()).contentFrame();
    // In the figure, from its first script: the moment its first heatmap shows.
    const live = pageName === "live.html";
    let clicked = null;
    if (live) {
      await frame.waitForFunction(() => /click to run/.test(document.querySelector(".embed-bar .note")?.textContent ?? ""), null, {
        timeout: TIMEOUT_MS,
        polling: 50,
      });
      const box = await frame.locator("#left-stage").boundingBox();
      clicked = Date.now();
      await page.mouse.click(box.x + box.width * 0.6, box.y + box.height * 0.35);
    }
    const heat = await (
      await frame.waitForFunction(
        () => (document.querySelector("#right-heat[data-values]") ? performance.timeOrigin + performance.now() : null),
        null,
        { timeout: TIMEOUT_MS, polling: 20 },
      )
    ).jsonValue();
    const r = await frame.evaluate((until) => {
      const entries = [performance.getEntriesByType("navigation")[0], ...performance.getEntriesByType("resource")];
      const by = entries.filter((e) => performance.timeOrigin + e.responseEnd <= until);
      return {
        bytes: by.reduce((n, e) => n + e.transferSize, 0),
        requests: by.map((e) => ({ url: e.name.replace(location.origin, ""), bytes: e.transferSize })),
        backend: document.querySelector(".embed")?.getAttribute("data-backend"),
      };
    }, heat + 1);
    return {
      page: pageName.replace(".html", ""),
      webgpu,
      ms: heat - navigation,
      ms_after_click: clicked ? heat - clicked : undefined,
      ...r,
      errors: errors.length ? errors : undefined,
    };
  } finally {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}

const t0 = Date.now();
const runs = [];
try {
  for (const webgpu of [false, true]) {
    for (const page of ["baked.html", "live.html"]) {
      console.error(`[${((Date.now() - t0) / 1000).toFixed(0)} s] ${page} on ${webgpu ? "WebGPU" : "the CPU"}…`);
      runs.push(await run(page, webgpu));
    }
  }
} finally {
  app.close();
  blog.close();
  rmSync(site, { recursive: true, force: true });
  rmSync(blogDir, { recursive: true, force: true });
}

const report = {
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model, cores: cpus().length },
  images: names,
  bake: bake.trim().split("\n"),
  runs,
};
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, "embed.json"), JSON.stringify(report, null, 1) + "\n");
console.log(`\nembed · navigation → first heatmap in the figure · gzip on · ${report.machine.cpu} × ${report.machine.cores}`);
console.log(`${bake.trim().split("\n")[0]}`);
console.log(`${"figure".padEnd(8)}${"device".padEnd(8)}${"seconds".padStart(9)}${"MB".padStart(8)}  note`);
for (const r of runs) {
  const note = r.ms_after_click ? `${(r.ms_after_click / 1000).toFixed(1)} s after the click` : "";
  console.log(
    `${r.page.padEnd(8)}${(r.webgpu ? "webgpu" : "cpu").padEnd(8)}${(r.ms / 1000).toFixed(2).padStart(9)}${(r.bytes / 1e6).toFixed(2).padStart(8)}  ${note}${r.errors ? " ERRORS " + r.errors.join("; ") : ""}`,
  );
}
console.log(`embed run ${((Date.now() - t0) / 1000).toFixed(0)} s → ${join(OUT, "embed.json")}`);
