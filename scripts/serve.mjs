// A small static server for dist/: correct MIME types (application/wasm), Content-Length (the page
// shows weights progress from it), ETag/Last-Modified revalidation like a static host, an optional
// sub-path (`/featsim/`), and loopback only. Used by `make serve` and the e2e tests.
//
// It serves regular files inside `root` and nothing else, and no request can stop it: a bad escape
// is a 400, a method other than GET/HEAD a 405, a path that leaves `root` (`..`, an encoded
// separator, a sibling folder sharing the prefix, a symlink pointing out) a 404, and a read error
// a 500 or a closed connection (tests/e2e/serve.test.mjs).
import { createServer } from "node:http";
import { createReadStream } from "node:fs";
import { readFile, realpath, stat } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { extname, isAbsolute, join, relative, resolve, sep } from "node:path";

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".md": "text/markdown; charset=utf-8",
  ".bpk": "application/octet-stream",
};

/** An answer other than a file: status and a short plain-text body. */
class Refusal {
  constructor(status, text, headers = {}) {
    Object.assign(this, { status, text, headers });
  }
}

/** Whether `path` is `base` or lies inside it (both absolute, symlinks resolved). */
function inside(base, path) {
  const rel = relative(base, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/**
 * The regular file under `base` (a realpath) that the request URL names below `prefix`, with its
 * stat; a directory means its index.html. Throws a `Refusal` for anything else.
 */
async function locate(base, prefix, url) {
  let path;
  try {
    path = decodeURIComponent(new URL(url, "http://x").pathname);
  } catch {
    throw new Refusal(400, "bad request");
  }
  if (path.includes("\0")) throw new Refusal(400, "bad request");
  if (!path.startsWith(prefix)) throw new Refusal(404, "not found");
  const wanted = resolve(base, "." + sep + path.slice(prefix.length));
  if (!inside(base, wanted)) throw new Refusal(404, "not found");
  try {
    let file = await realpath(wanted);
    let st = await stat(file);
    if (st.isDirectory()) {
      file = await realpath(join(file, "index.html"));
      st = await stat(file);
    }
    if (!st.isFile() || !inside(base, file)) throw new Refusal(404, "not found");
    return { file, st };
  } catch (e) {
    if (e instanceof Refusal) throw e;
    throw new Refusal(404, "not found");
  }
}

/** What static hosts compress on the fly (the wasm most of all: 9.3 MB, 2.6 MB gzipped). */
const COMPRESSIBLE = new Set([".html", ".js", ".mjs", ".css", ".wasm", ".json", ".md", ".svg"]);
/** Gzipped bodies by file, size and time: each is compressed once. */
const gzipped = new Map();

async function gzipOf(file, st) {
  const key = `${file}\0${st.size}\0${st.mtimeMs}`;
  if (!gzipped.has(key)) gzipped.set(key, gzipSync(await readFile(file), { level: 9 }));
  return gzipped.get(key);
}

/**
 * Serves `root` on 127.0.0.1:`port` (0 = any free port) under the URL path `prefix` (e.g.
 * "/featsim/"); resolves to the server once listening. `onRequest(url)` sees every request.
 * `gzip`: compress text and wasm for clients that accept it, as most static hosts do (the
 * benchmarks count bytes on the wire so).
 */
export async function serve(root, port = 0, { prefix = "/", onRequest, gzip = false } = {}) {
  const base = await realpath(resolve(root));
  const server = createServer(async (req, res) => {
    try {
      onRequest?.(req.url);
      if (req.method !== "GET" && req.method !== "HEAD") {
        throw new Refusal(405, "method not allowed", { allow: "GET, HEAD" });
      }
      const { file, st } = await locate(base, prefix, req.url);
      // Revalidate every time (as a static host with default settings does), but answer an
      // unchanged file with 304 so the weights are not downloaded again.
      const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
      const headers = { "cache-control": "no-cache", etag, "last-modified": st.mtime.toUTCString() };
      if (req.headers["if-none-match"] === etag) {
        res.writeHead(304, headers).end();
        return;
      }
      const ok = {
        ...headers,
        "content-type": MIME[extname(file)] ?? "application/octet-stream",
        "content-length": st.size,
      };
      if (req.method === "HEAD") {
        res.writeHead(200, ok).end();
        return;
      }
      if (gzip && COMPRESSIBLE.has(extname(file)) && /\bgzip\b/.test(req.headers["accept-encoding"] ?? "")) {
        const body = await gzipOf(file, st);
        res.writeHead(200, { ...ok, "content-encoding": "gzip", "content-length": body.length, vary: "accept-encoding" });
        res.end(body);
        return;
      }
      // Open before answering, so a file that cannot be read is a 500, not a truncated 200.
      const stream = createReadStream(file);
      stream.once("open", () => {
        res.writeHead(200, ok);
        stream.pipe(res);
      });
      stream.once("error", () => {
        if (res.headersSent) res.destroy();
        else res.writeHead(500, { "content-type": "text/plain" }).end("read error");
      });
      res.once("close", () => stream.destroy());
    } catch (e) {
      const r = e instanceof Refusal ? e : new Refusal(500, "server error");
      if (res.headersSent) res.destroy();
      else res.writeHead(r.status, { "content-type": "text/plain", ...r.headers }).end(r.text);
    }
  });
  // A client that sends garbage gets 400 from Node itself; the server never sees an exception.
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });
  return new Promise((ok) => server.listen(port, "127.0.0.1", () => ok(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [root = "dist", port = "8080", prefix = "/"] = process.argv.slice(2);
  const server = await serve(root, Number(port), { prefix, gzip: true });
  console.log(`FeatSim is served at http://127.0.0.1:${server.address().port}${prefix}  (Ctrl-C to stop)`);
}
