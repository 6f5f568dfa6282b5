// Shared e2e plumbing: serve dist/ on a free loopback port and drive Debian's Chromium headless.
import { chromium } from "playwright-core";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "../../scripts/serve.mjs";

/** The real binary behind Debian's /usr/bin/chromium wrapper. */
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/lib/chromium/chromium";

/** Flags every run gets: quiet, offline-friendly, no sandbox (we run as root in CI). */
export const BASE_FLAGS = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** WebGPU on SwiftShader (a CPU Vulkan): slow but a real WebGPU implementation. */
export const WEBGPU_FLAGS = [
  "--enable-unsafe-webgpu",
  "--enable-features=Vulkan",
  "--use-vulkan=swiftshader",
  "--use-webgpu-adapter=swiftshader",
  "--use-angle=swiftshader",
  "--enable-unsafe-swiftshader",
  "--ignore-gpu-blocklist",
];

export const SHOTS = "target/e2e";

/**
 * Starts the static server (serving `root`, dist/ by default, under the URL path `prefix`) and a
 * browser; returns { page, url, errors, requests, close }. `errors` collects console errors and
 * uncaught page errors, `requests` every URL the page and its frames asked for.
 */
export async function open({ webgpu, prefix = "/", root = "dist" }) {
  const server = await serve(root, 0, { prefix });
  const url = `http://127.0.0.1:${server.address().port}${prefix}`;
  const profile = mkdtempSync(join(tmpdir(), "featsim-e2e-"));
  const args = [...BASE_FLAGS, ...(webgpu ? WEBGPU_FLAGS : ["--disable-features=WebGPU"])];
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport: { width: 1280, height: 800 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  const requests = [];
  context.on("request", (r) => requests.push(r.url()));
  // Every text the status bar shows, so tests can check transient states such as progress.
  await page.addInitScript(() => {
    window.__statusLog = [];
    new MutationObserver(() => {
      const t = document.querySelector("#status")?.textContent;
      if (t && window.__statusLog.at(-1) !== t) window.__statusLog.push(t);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  mkdirSync(SHOTS, { recursive: true });
  return {
    page,
    url,
    errors,
    requests,
    async close() {
      await context.close();
      server.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until the status bar's attribute satisfies `pred`, returning its value. The predicate runs
 * here in Node, not in the page: the page's Content-Security-Policy forbids evaluating strings.
 */
export async function waitForStatus(page, attr, pred, timeout = 120_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await page.getAttribute("#status", attr, { timeout: Math.max(1, end - Date.now()) }).catch(() => null);
    if (v !== null && pred(v)) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for #status[${attr}] (last: ${v})`);
    await new Promise((ok) => setTimeout(ok, 250));
  }
}
