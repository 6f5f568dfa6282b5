// A small static server for dist/: correct MIME types (application/wasm), Content-Length (the page
// shows weights progress from it), ETag/Last-Modified revalidation like a static host, an optional
// sub-path (`/featsim/`), and loopback only. Used by `make serve` and the e2e tests.
import { createServer } from "node:http";
import { createReadStream, statSync } from "node:fs";
import { extname, join, normalize, resolve } from "node:path";

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

/**
 * Serves `root` on 127.0.0.1:`port` (0 = any free port) under the URL path `prefix` (e.g.
 * "/featsim/"); resolves to the server once listening. `onRequest(url)` sees every request.
 */
export function serve(root, port = 0, { prefix = "/", onRequest } = {}) {
  const base = resolve(root);
  const server = createServer((req, res) => {
    onRequest?.(req.url);
    let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (!path.startsWith(prefix)) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    path = "/" + path.slice(prefix.length);
    let file = normalize(join(base, path));
    if (!file.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    let stat;
    try {
      stat = statSync(file);
      if (stat.isDirectory()) {
        file = join(file, "index.html");
        stat = statSync(file);
      }
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    // Revalidate every time (as a static host with default settings does), but answer an
    // unchanged file with 304 so the weights are not downloaded again.
    const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
    const headers = {
      "cache-control": "no-cache",
      etag,
      "last-modified": stat.mtime.toUTCString(),
    };
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, headers).end();
      return;
    }
    res.writeHead(200, {
      ...headers,
      "content-type": MIME[extname(file)] ?? "application/octet-stream",
      "content-length": stat.size,
    });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(port, "127.0.0.1", () => ok(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [root = "dist", port = "8080", prefix = "/"] = process.argv.slice(2);
  const server = await serve(root, Number(port), { prefix });
  console.log(`FeatSim is served at http://127.0.0.1:${server.address().port}${prefix}  (Ctrl-C to stop)`);
}
