// scripts/serve.mjs under hostile requests (issue #15): bad escapes, traversal in its encoded
// forms, a sibling folder that shares the root's name, symlinks out of the root, a directory named
// index.html, other methods. Each gets its status, and the server keeps serving the root's files.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "../../scripts/serve.mjs";

let tmp, server, port;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), "featsim-serve-"));
  const root = join(tmp, "dist");
  mkdirSync(join(root, "sub"), { recursive: true });
  mkdirSync(join(root, "trap", "index.html"), { recursive: true });
  writeFileSync(join(root, "index.html"), "<!doctype html><title>root</title>");
  writeFileSync(join(root, "sub", "index.html"), "sub");
  writeFileSync(join(root, "m.wasm"), Buffer.from([0, 0x61, 0x73, 0x6d]));
  writeFileSync(join(root, "100%.txt"), "percent");
  // Outside the root: a sibling whose name starts with the root's, and a plain secret.
  mkdirSync(join(tmp, "dist-x"));
  writeFileSync(join(tmp, "dist-x", "secret.txt"), "sibling");
  writeFileSync(join(tmp, "secret.txt"), "outside");
  symlinkSync(join(tmp, "secret.txt"), join(root, "out.txt"));
  symlinkSync(tmp, join(root, "up"));
  symlinkSync(join(root, "m.wasm"), join(root, "in.wasm"));
  server = await serve(root, 0, { prefix: "/featsim/" });
  port = server.address().port;
});

after(() => {
  server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Sends `path` exactly as written (no client-side normalisation); resolves { status, headers, body }. */
function get(path, method = "GET") {
  return new Promise((ok, fail) => {
    const req = request({ host: "127.0.0.1", port, path, method }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => ok({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.setTimeout(5000, () => req.destroy(new Error(`${method} ${path}: no answer in 5 s`)));
    req.on("error", fail);
    req.end();
  });
}

test("files under the prefix are served with their type and length; directories give index.html", async () => {
  const root = await get("/featsim/");
  assert.equal(root.status, 200);
  assert.match(root.body, /<title>root<\/title>/);
  const wasm = await get("/featsim/m.wasm");
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers["content-type"], "application/wasm");
  assert.equal(wasm.headers["content-length"], "4");
  assert.equal((await get("/featsim/sub/")).body, "sub");
  assert.equal((await get("/featsim/100%25.txt")).body, "percent");
  const head = await get("/featsim/m.wasm", "HEAD");
  assert.equal(head.status, 200);
  assert.equal(head.headers["content-length"], "4");
  assert.equal(head.body, "");
  // A symlink that stays inside the root is an ordinary file.
  assert.equal((await get("/featsim/in.wasm")).status, 200);
});

test("malformed escapes are a 400 and the server stays up", async () => {
  for (const path of ["/featsim/%", "/featsim/%zz", "/featsim/%E0%A4%A", "/featsim/a%00b", "/featsim/%C0%AF"]) {
    assert.equal((await get(path)).status, 400, path);
  }
  assert.equal((await get("/featsim/")).status, 200);
});

test("nothing outside the root is served: traversal, encoded separators, a sibling folder, symlinks out", async () => {
  const out = [
    "/featsim/../secret.txt",
    "/featsim/..%2fsecret.txt",
    "/featsim/%2e%2e/secret.txt",
    "/featsim/%2e%2e%2fsecret.txt",
    "/featsim/..%2fdist-x/secret.txt",
    "/featsim/..%5csecret.txt",
    "/featsim//../../secret.txt",
    "/featsim/out.txt",
    "/featsim/up/secret.txt",
    "/featsim/up/dist-x/secret.txt",
    "/secret.txt",
    "/featsim-x/secret.txt",
  ];
  for (const path of out) {
    const r = await get(path);
    assert.equal(r.status, 404, `${path}: ${r.status} ${r.body}`);
    assert.doesNotMatch(r.body, /outside|sibling/, path);
  }
  assert.equal((await get("/featsim/")).status, 200);
});

test("a directory named index.html and a missing file are 404s, not a crash", async () => {
  assert.equal((await get("/featsim/trap/")).status, 404);
  assert.equal((await get("/featsim/trap/index.html")).status, 404);
  assert.equal((await get("/featsim/nope.js")).status, 404);
  assert.equal((await get("/featsim/")).status, 200);
});

test("only GET and HEAD", async () => {
  for (const method of ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"]) {
    const r = await get("/featsim/index.html", method);
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.allow, "GET, HEAD");
  }
  assert.equal((await get("/featsim/")).status, 200);
});

test("an unchanged file revalidates with 304", async () => {
  const first = await get("/featsim/m.wasm");
  const again = await new Promise((ok, fail) => {
    const req = request(
      { host: "127.0.0.1", port, path: "/featsim/m.wasm", headers: { "if-none-match": first.headers.etag } },
      (res) => {
        res.resume();
        res.on("end", () => ok(res.statusCode));
      },
    );
    req.on("error", fail);
    req.end();
  });
  assert.equal(again, 304);
});
