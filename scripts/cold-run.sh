#!/usr/bin/env bash
# Times `CI=true bash .ci/run` as a fresh machine meets it: a clean clone of this repository's
# HEAD beside ../shared, an empty HOME and CARGO_HOME (so trunk and wasm-bindgen-cli compile from
# source, every crate is downloaded from crates.io, npm and the gallery wheel are fetched again),
# an empty target/. Only what the machine image itself provides is reused: the Rust toolchain
# (RUSTUP_HOME, with the wasm32 target), node, python and the Debian packages already installed.
#
#   bash scripts/cold-run.sh [DIR]     # DIR defaults to /tmp/featsim-cold; it is deleted first
#
# Prints each phase's start as it goes (the set-up's and make's own lines) and the total at the end;
# the whole log is DIR/run.log.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-/tmp/featsim-cold}
rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
real_cargo_bin=${CARGO_HOME:-$HOME/.cargo}/bin

rm -rf "$dir"
mkdir -p "$dir/home/.cargo/bin"
# The rustup proxies only: trunk, wasm-bindgen and anything else installed here stay out of PATH.
for tool in cargo rustc rustdoc rustup cargo-clippy clippy-driver rustfmt cargo-fmt; do
  ln -s "$real_cargo_bin/$tool" "$dir/home/.cargo/bin/$tool"
done
git clone --quiet "$repo" "$dir/main"
ln -s "$(cd "$repo/../shared" && pwd)" "$dir/shared"

cd "$dir/main"
start=$(date +%s)
set +e
# The machine's own settings stay (CA bundles, ~/.npmrc); only the homes and PATH are new.
[ -f "$HOME/.npmrc" ] && cp "$HOME/.npmrc" "$dir/home/"
env -u CARGO_TARGET_DIR HOME="$dir/home" CARGO_HOME="$dir/home/.cargo" RUSTUP_HOME="$rustup_home" \
  PATH="$dir/home/.cargo/bin:${PYENV_ROOT:+$PYENV_ROOT/shims:}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  CI=true bash .ci/run 2>&1 | while IFS= read -r line; do
    printf -v now '%(%s)T' -1
    printf '[%5ds] %s\n' $(( now - start )) "$line"
  done | tee "$dir/run.log"
status=${PIPESTATUS[0]}
set -e
echo "cold run: rc $status, $(( $(date +%s) - start )) s in all (log: $dir/run.log)"
exit "$status"
