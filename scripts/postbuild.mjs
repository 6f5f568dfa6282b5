// Trunk post-build hook (Trunk.toml): runs in the staging folder before it becomes dist/, for
// every build — the page's (index.html) and the bench's (bench.html, `make bench`) alike.
// 1. A strict Content-Security-Policy <meta> in each built HTML page, allowing exactly its inline
//    scripts (Trunk's loader; the bench's own) by their SHA-256, and nothing from another origin.
//    A page it cannot be put into fails the build.
// 2. Where the build has the service worker (the page's): its precache list, each file with its
//    SHA-256, and the build's version (scripts/precache.mjs), so each build is a new worker with
//    its own cache. After the CSP: the pages' final bytes are what gets hashed.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { precache } from "./precache.mjs";

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
    // wasm needs 'wasm-unsafe-eval'; inline scripts are allowed by hash only. The bench page
    // (never part of the site) also runs TF.js, whose kernels are built with `new Function`.
    `script-src 'self' 'wasm-unsafe-eval'${page === "bench.html" ? " 'unsafe-eval'" : ""} ${inline.join(" ")}`,
    // Our stylesheet only: no style attributes (the page sets styles through the CSSOM).
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
  ].join("; ");
  const at = /<meta charset="utf-8" \/>/;
  if (!at.test(html)) throw new Error(`${page}: no <meta charset="utf-8" /> to put the CSP after`);
  html = html.replace(at, `<meta charset="utf-8" />\n    <meta http-equiv="Content-Security-Policy" content="${csp}" />`);
  if (!html.includes(`content="${csp}"`)) throw new Error(`${page}: the CSP was not inserted`);
  writeFileSync(path, html);
  hashes[page] = inline.length;
}
const summary = Object.entries(hashes).map(([p, n]) => `${p}: CSP with ${n} inline script hash(es)`).join("; ");

// 2. Precache list and version; a build without sw-register.js (the bench) has no service worker.
const list = precache(dir);
if (!list) {
  console.log(`postbuild: ${summary}; no service worker in this build`);
  process.exit(0);
}
console.log(`postbuild: ${summary}; precache ${Object.keys(list.files).length} files, version ${list.version}`);
