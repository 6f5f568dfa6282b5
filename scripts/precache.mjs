// The service worker's precache list (issue #15), over a built folder: every file but sw.js with
// its SHA-256 in SRI form (`sha256-<base64>`, the worker fetches each with `integrity`), and a
// version, a hash over every file's name and bytes. Both are written into the folder's sw.js
// (`/* featsim:precache */ …`) and the version into sw-register.js (`/* featsim:version */ …`),
// replacing what an earlier run wrote, so running it again over the same bytes changes nothing.
// scripts/postbuild.mjs runs it on every page build; tests/e2e/offline.test.mjs runs it on a copy
// of dist/ to make a "new build" without compiling one.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

/** Where each file carries what this script writes: the rest of the line after the marker. */
const SLOTS = {
  "sw.js": /(\/\* featsim:precache \*\/ ).*;$/m,
  "sw-register.js": /(\/\* featsim:version \*\/ ).*;$/m,
};

/** `text` with its slot (`file`'s marker line) holding `value`; throws if the marker is missing. */
function fill(file, text, value) {
  if (!SLOTS[file].test(text)) throw new Error(`${file}: no ${SLOTS[file].source} line to write into`);
  return text.replace(SLOTS[file], (_, marker) => `${marker}${value};`);
}

/** The model's streamed parts (weights/blocks/*.bpk), stored on use rather than at install. */
const MODEL_PART = /^weights\/blocks\/[^/]+\.bpk$/;

const sri = (data) => `sha256-${createHash("sha256").update(data).digest("base64")}`;

/** Every file under `dir`, relative, with `/` separators, sorted; not dot-files (Trunk's `.stage`). */
function walk(dir, d = dir, out = []) {
  for (const name of readdirSync(d).sort()) {
    if (name.startsWith(".")) continue;
    const p = join(d, name);
    if (statSync(p).isDirectory()) walk(dir, p, out);
    else out.push(relative(dir, p).split(sep).join("/"));
  }
  return out;
}

/**
 * Writes the precache list and version into `dir`'s sw.js and sw-register.js; returns
 * { version, files: { path: integrity }, model: { path: integrity } } ("./" is the page,
 * index.html; `model` the model's parts, stored once a visit uses them). A folder without
 * sw-register.js (the bench's build) has no service worker: returns null.
 */
export function precache(dir) {
  if (!existsSync(join(dir, "sw-register.js"))) return null;
  if (!existsSync(join(dir, "sw.js"))) throw new Error(`sw.js is not in ${dir}: index.html must copy it`);
  if (!existsSync(join(dir, "index.html"))) throw new Error(`no index.html in ${dir}`);
  const read = (f) => readFileSync(join(dir, f), "utf8");
  // The version covers every byte, the worker's code too, with the two slots as in the sources.
  const hash = createHash("sha256");
  for (const f of walk(dir)) {
    const bytes = SLOTS[f]
      ? Buffer.from(fill(f, read(f), f === "sw.js" ? '{ version: "dev", files: {}, model: {} }' : '"dev"'))
      : readFileSync(join(dir, f));
    hash.update(`${f}\0${bytes.length}\0`).update(bytes);
  }
  const version = hash.digest("hex").slice(0, 16);
  writeFileSync(join(dir, "sw-register.js"), fill("sw-register.js", read("sw-register.js"), JSON.stringify(version)));
  // Then each file's integrity, sw-register.js's with the version in it. The model's parts are
  // listed apart: the worker stores them once a visit uses the model (a baked embed may never).
  const files = { "./": sri(readFileSync(join(dir, "index.html"))) };
  const model = {};
  for (const f of walk(dir)) {
    if (f === "sw.js") continue;
    (MODEL_PART.test(f) ? model : files)[f] = sri(readFileSync(join(dir, f)));
  }
  const list = { version, files, model };
  writeFileSync(join(dir, "sw.js"), fill("sw.js", read("sw.js"), JSON.stringify(list)));
  return list;
}
