// `make bench`, page-load half: opens the built page itself (index.html, not bench.html) in
// Debian's Chromium on a throttled network and times navigation → first heatmap at layer3 and at
// layer4, counting the bytes that had arrived by then, for the streamed model (the page's default:
// one part per block, weights/blocks/) and the single trunk file it replaced, on the CPU path and
// on WebGPU (SwiftShader), all in one run. Writes target/bench/page-load.json and prints a table.
//
// Each load is a fresh profile (nothing cached) at `#block=layer3`; the moment layer3's heatmap
// shows, the page is switched to layer4, whose heatmap follows as soon as its weights are in.
// Bytes are the browser's own count (Resource Timing `transferSize`, headers included) of every
// response that had ended by then, from a server that gzips text and wasm as static hosts do.
// The single file is served as a one-part layout of the same trunk (src/model/blocks.rs): the
// page's one loader for served models reads both.
//
// Usage: node benches/page-load.mjs [DIST] [MBIT_PER_S]   (defaults: dist, 40)
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "../scripts/serve.mjs";
import { BASE_FLAGS, CHROMIUM, WEBGPU_FLAGS } from "../tests/e2e/harness.mjs";

const dist = process.argv[2] ?? "dist";
const mbit = Number(process.argv[3] ?? 40);
const OUT = "target/bench";
const TRUNK = "weights/resnet50-imagenet.bpk";
const BLOCKS = "weights/blocks";
const STREAMED = "resnet50-imagenet.blocks.json";
const TIMEOUT_MS = 15 * 60_000;

if (!existsSync(join(dist, "index.html"))) throw new Error(`${dist}/index.html is missing: run \`make web\` first`);
for (const f of [TRUNK, "target/debug/featsim"]) if (!existsSync(f)) throw new Error(`${f} is missing: run \`make setup\``);

// The page's dist plus the single trunk file in the blocks folder, served as a one-part layout.
const site = join(OUT, "page-load-site");
rmSync(site, { recursive: true, force: true });
cpSync(dist, site, { recursive: true });
const trunk = readFileSync(TRUNK);
cpSync(TRUNK, join(site, BLOCKS, "resnet50-imagenet.bpk"));
const streamed = JSON.parse(readFileSync(join(site, BLOCKS, STREAMED), "utf8"));
const digest = execFileSync("target/debug/featsim", ["info", "--weights", TRUNK], { encoding: "utf8" }).match(
  /^digest: +([0-9a-f]{64})$/m,
)?.[1];
if (!digest) throw new Error(`featsim info printed no digest for ${TRUNK}`);
const single = {
  ...streamed,
  checksum: digest,
  parts: [
    {
      parts: "stem,layer1,layer2,layer3,layer4",
      file: "resnet50-imagenet.bpk",
      bytes: trunk.length,
      sha256: createHash("sha256").update(trunk).digest("hex"),
    },
  ],
};

/** One page load: { layer3_ms, layer4_ms, bytes_layer3, bytes_layer4, bytes_total, requests }. */
async function load(url, { webgpu, layout }) {
  const profile = join(tmpdir(), `featsim-page-load-${process.pid}-${layout}-${webgpu}`);
  rmSync(profile, { recursive: true, force: true });
  const args = [...BASE_FLAGS, ...(webgpu ? WEBGPU_FLAGS : ["--disable-features=WebGPU"])];
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    if (layout === "single") {
      await page.route(`**/${BLOCKS}/${STREAMED}`, (route) =>
        route.fulfill({ contentType: "application/json", body: JSON.stringify(single) }),
      );
    }
    // Throttled like a home connection; the latency is one round trip per request.
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 20,
      downloadThroughput: (mbit * 1e6) / 8,
      uploadThroughput: (mbit * 1e6) / 8,
    });
    // In the page, from its first script: when each block's heatmap first shows; at layer3's, the
    // strip's layer4 button is pressed.
    await page.addInitScript(() => {
      const seen = (window.__firstHeat = {});
      new MutationObserver(() => {
        const el = document.querySelector("#right-heat[data-values]");
        const block = el?.getAttribute("data-block");
        if (!block || block in seen) return;
        seen[block] = performance.now();
        if (block === "layer3") document.querySelector('#strip .thumb[data-block="layer4"]')?.click();
      }).observe(document, { subtree: true, childList: true, attributes: true });
    });
    await page.goto(`${url}#block=layer3`);
    await page.waitForFunction(() => window.__firstHeat?.layer4 !== undefined, null, {
      timeout: TIMEOUT_MS,
      polling: 100,
    });
    const r = await page.evaluate(() => {
      const entries = [performance.getEntriesByType("navigation")[0], ...performance.getEntriesByType("resource")];
      const by = (t) => entries.filter((e) => e.responseEnd > 0 && e.responseEnd <= t).reduce((n, e) => n + e.transferSize, 0);
      const heat = window.__firstHeat;
      return {
        layer3_ms: heat.layer3,
        layer4_ms: heat.layer4,
        bytes_layer3: by(heat.layer3),
        bytes_layer4: by(heat.layer4),
        bytes_total: by(Infinity),
        requests: entries.map((e) => ({
          url: e.name.replace(location.origin, ""),
          bytes: e.transferSize,
          end_ms: Math.round(e.responseEnd),
        })),
        backend: document.querySelector("#status")?.getAttribute("data-backend"),
        status: document.querySelector("#status")?.textContent,
      };
    });
    if (errors.length) r.errors = errors;
    return r;
  } finally {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}

const t0 = Date.now();
const server = await serve(site, 0, { gzip: true });
const url = `http://127.0.0.1:${server.address().port}/`;
const runs = [];
try {
  for (const webgpu of [false, true]) {
    for (const layout of ["streamed", "single"]) {
      console.error(`[${((Date.now() - t0) / 1000).toFixed(0)} s] ${webgpu ? "webgpu" : "cpu"}, ${layout}…`);
      runs.push({ backend: webgpu ? "webgpu" : "cpu", layout, ...(await load(url, { webgpu, layout })) });
    }
  }
} finally {
  server.close();
  rmSync(site, { recursive: true, force: true });
}

const wasm = readdirSync(dist).find((f) => f.endsWith(".wasm"));
const report = {
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model, cores: cpus().length },
  network: { mbit_per_s: mbit, latency_ms: 20 },
  wasm_bytes: statSync(join(dist, wasm)).size,
  streamed_parts: streamed.parts.map((p) => ({ parts: p.parts, bytes: p.bytes })),
  single_bytes: trunk.length,
  runs,
};
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, "page-load.json"), JSON.stringify(report, null, 1) + "\n");

const mb = (b) => (b / 1e6).toFixed(1);
const s = (ms) => (ms / 1000).toFixed(1);
console.log(`\npage load · index.html at #block=layer3 · ${mbit} Mbit/s, 20 ms · ${report.machine.cpu} × ${report.machine.cores}`);
console.log(`${"backend".padEnd(8)}${"model file".padEnd(12)}${"→ layer3 s".padStart(11)}${"MB by then".padStart(11)}${"→ layer4 s".padStart(11)}${"MB by then".padStart(11)}`);
for (const r of runs) {
  console.log(
    `${r.backend.padEnd(8)}${r.layout.padEnd(12)}${s(r.layer3_ms).padStart(11)}${mb(r.bytes_layer3).padStart(11)}${s(r.layer4_ms).padStart(11)}${mb(r.bytes_layer4).padStart(11)}${r.errors ? "  ERRORS " + r.errors.join("; ") : ""}`,
  );
}
for (const backend of ["cpu", "webgpu"]) {
  const [a, b] = ["streamed", "single"].map((l) => runs.find((r) => r.backend === backend && r.layout === l));
  console.log(`${backend}: streamed / single, time to layer3 ${(a.layer3_ms / b.layer3_ms).toFixed(2)}, to layer4 ${(a.layer4_ms / b.layer4_ms).toFixed(2)}`);
}
console.log(`page-load run ${((Date.now() - t0) / 1000).toFixed(0)} s → ${join(OUT, "page-load.json")}`);
