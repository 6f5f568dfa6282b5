// Trunk post-build hook (Trunk.toml): runs in the staging folder before it becomes dist/, for
// every build — the page's (index.html) and the bench's (bench.html, `make bench`) alike.
// 1. A strict Content-Security-Policy <meta> in each built HTML page, allowing exactly its inline
//    scripts (Trunk's loader; the bench's own) by their SHA-256, and nothing from another origin.
// 2. Where the build has the service worker (the page's): its precache list and version, every
//    built file and a hash over all their contents, so each build is a new worker with its own
//    cache.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error("run by trunk: TRUNK_STAGING_DIR is not set");
const sha = (algo, data) => createHash(algo).update(data).digest("base64");

// 1. CSP, in every page of the build.
const pages = readdirSync(dir).filter((f) => f.endsWith(".html"));
if (pages.length === 0) throw new Error(`no HTML page in ${dir}`);
const hashes = {};
for (const page of pages) {
  const path = join(dir, page);
  let html = readFileSync(path, "utf8");
  const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
    (m) => `'sha256-${sha("sha256", m[1])}'`,
  );
  const csp = [
    "default-src 'self'",
    // wasm needs 'wasm-unsafe-eval'; inline scripts are allowed by hash only.
    `script-src 'self' 'wasm-unsafe-eval' ${inline.join(" ")}`,
    // Leptos sets a few style attributes (e.g. the aspect of a panel).
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
  ].join("; ");
  if (!/<meta charset="utf-8" \/>/.test(html)) throw new Error(`${page}: no <meta charset="utf-8" /> to put the CSP after`);
  html = html.replace(
    /<meta charset="utf-8" \/>/,
    `<meta charset="utf-8" />\n    <meta http-equiv="Content-Security-Policy" content="${csp}" />`,
  );
  writeFileSync(path, html);
  hashes[page] = inline.length;
}

// 2. Precache list and version.
const files = [];
const walk = (d) => {
  for (const name of readdirSync(d).sort()) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) walk(p);
    else files.push(relative(dir, p).split(sep).join("/"));
  }
};
walk(dir);
const summary = Object.entries(hashes).map(([p, n]) => `${p}: CSP with ${n} inline script hash(es)`).join("; ");
// The page registers the service worker (sw-register.js); a build without it (the bench) has none.
if (!files.includes("sw-register.js")) {
  console.log(`postbuild: ${summary}; no service worker in this build`);
  process.exit(0);
}
const cached = files.filter((f) => f !== "sw.js");
const hash = createHash("sha256");
for (const f of cached) hash.update(f).update(readFileSync(join(dir, f)));
const precache = { version: hash.digest("hex").slice(0, 16), files: ["./", ...cached] };
const swPath = join(dir, "sw.js");
if (!files.includes("sw.js")) throw new Error("sw.js is not in the build: index.html must copy it");
writeFileSync(
  swPath,
  `self.__FEATSIM_PRECACHE__ = ${JSON.stringify(precache)};\n` + readFileSync(swPath, "utf8"),
);
console.log(`postbuild: ${summary}; precache ${precache.files.length} files, version ${precache.version}`);
