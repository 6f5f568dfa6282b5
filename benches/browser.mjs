// `make bench`, browser half: serves a built dist on loopback, opens bench.html in Debian's
// Chromium headless with WebGPU on SwiftShader (the flags of tests/e2e/harness.mjs), waits for
// window.__bench, then writes target/bench/browser.json and prints the table with
// FeatSim/TF.js ratios. Usage: node benches/browser.mjs [DIST] [RUNS] [QUERY]
import { chromium } from "playwright-core";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { serve } from "../scripts/serve.mjs";
import { BASE_FLAGS, CHROMIUM, WEBGPU_FLAGS } from "../tests/e2e/harness.mjs";

const dist = process.argv[2] ?? "dist";
const runs = Number(process.argv[3] ?? 5);
// Extra query for bench.html, e.g. "skip=tfjs-cpu" for a quick check.
const extra = process.argv[4] ? `&${process.argv[4]}` : "";
const OUT = "target/bench";
// The same browser and flags as the e2e tests.
const FLAGS = [...BASE_FLAGS, ...WEBGPU_FLAGS];
// SwiftShader takes 10–60 s per 512² forward; 5 backends × (1 + runs) forwards plus loading.
const TIMEOUT_MS = 90 * 60_000;

// `make bench` builds bench.html as its own Trunk target (with the `bench` feature); the page's
// dist/ has no bench.
if (!existsSync(join(dist, "bench.html"))) {
  throw new Error(`${dist}/bench.html is missing: build it with \`make bench\` (trunk build --release bench.html --html-output bench.html --features bench)`);
}
const t0 = Date.now();
const server = await serve(dist, 0);
const url = `http://127.0.0.1:${server.address().port}/bench.html?runs=${runs}${extra}`;
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
let bench;
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error(`page error: ${e}`));
  page.on("console", (m) => m.type() === "error" && console.error(`console: ${m.text()}`));
  await page.goto(url);
  // Progress on stderr while the page works (it can take many minutes).
  let last = "";
  const tick = setInterval(async () => {
    const s = await page.textContent("#bench-status").catch(() => null);
    if (s && s !== last) console.error(`[${((Date.now() - t0) / 1000).toFixed(0)} s] ${(last = s)}`);
  }, 2000);
  try {
    await page.waitForFunction(() => window.__bench?.done, null, { timeout: TIMEOUT_MS, polling: 1000 });
  } finally {
    clearInterval(tick);
  }
  bench = await page.evaluate(() => window.__bench);
  mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: join(OUT, "browser.png"), fullPage: true });
} finally {
  await browser.close().catch(() => {});
  server.close();
}

const wasm = readdirSync(dist).find((f) => f.endsWith(".wasm"));
const wasmBytes = readFileSync(join(dist, wasm));
const native = existsSync(join(OUT, "native-cpu.json"))
  ? JSON.parse(readFileSync(join(OUT, "native-cpu.json"), "utf8"))
  : null;
const report = {
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, memory_gib: +(totalmem() / 2 ** 30).toFixed(1) },
  chromium: browser.version(),
  url: url.replace(/:\d+\//, ":PORT/"),
  wall_s: (Date.now() - t0) / 1000,
  sizes: {
    wasm_file: wasm,
    wasm_raw: wasmBytes.length,
    wasm_gzip: gzipSync(wasmBytes, { level: 9 }).length,
    weights: statSync(join(dist, "weights/resnet50-imagenet.bpk")).size,
  },
  native_cpu: native,
  ...bench,
};
writeFileSync(join(OUT, "browser.json"), JSON.stringify(report, null, 1) + "\n");

// --- the table --------------------------------------------------------------------------------
const r = bench.results ?? {};
const ms = (k) => r[k]?.median_ms;
const f = (x) => (typeof x === "number" && isFinite(x) ? x.toFixed(1) : "—");
console.log(`\nbrowser bench · ${report.chromium} · ${report.machine.cpu} × ${report.machine.cores}`);
console.log(`forward to layer4 at ${bench.size}², median of ${bench.runs} after 1 warm-up; TF.js ${bench.tfjs_version ?? "?"}`);
console.log(`${"run".padEnd(24)}${"median ms".padStart(11)}${"warm-up ms".padStart(12)}  output / note`);
for (const [k, v] of Object.entries(r)) {
  const out = v.output_shape ? `[${v.output_shape}] mean ${v.output_mean?.toFixed(4)}` : "";
  const note = v.error ? `ERROR ${v.error}` : (v.note ?? v.adapter ?? "");
  console.log(`${k.padEnd(24)}${f(v.median_ms ?? v.ms_from_navigation).padStart(11)}${f(v.warmup_ms).padStart(12)}  ${out} ${note}`);
}
if (bench.fatal) console.log(`FATAL ${bench.fatal}`);
console.log("\nratio FeatSim / TF.js (median ms; < 1: FeatSim faster)");
for (const [a, b] of [["featsim-webgpu", "tfjs-webgpu"], ["featsim-webgpu-burn", "tfjs-webgpu"], ["featsim-cpu", "tfjs-wasm"], ["featsim-cpu-burn", "tfjs-wasm"], ["featsim-cpu", "tfjs-cpu"]]) {
  const q = ms(a) / ms(b);
  console.log(`  ${a.padEnd(20)} / ${b.padEnd(12)} ${isFinite(q) ? q.toFixed(2) : "—"}`);
}
const s = report.sizes;
console.log(`\nrelease wasm ${s.wasm_raw} bytes raw, ${s.wasm_gzip} gzip; weights ${s.weights} bytes`);
if (native) console.log(`native (target/debug/featsim bench, ${native.backend}): forward_layer4 ${f(native.median_ms?.forward_layer4)} ms`);
console.log(`browser run ${report.wall_s.toFixed(0)} s → ${join(OUT, "browser.json")}`);
