#!/usr/bin/env bash
# One prepared run on a lent GPU machine (see README, "Performance"): native FeatSim on wgpu
# (Vulkan) and PyTorch on the same GPU, same architecture and input size. Expects featsim built
# with `--no-default-features` (no autotune) and with the defaults (autotune), stripped and
# gzipped at .benchbin/featsim-{plain,autotune}.gz, and the Vulkan loader's .debs in .gl/ (all
# carried).
set -euo pipefail
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES=$icd
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
nvidia-smi -L | tee "$OUT/gpu.txt"
RUNS=${RUNS:-20}
for v in plain autotune; do
  gunzip -c .benchbin/featsim-$v.gz > /tmp/featsim-$v
  chmod +x /tmp/featsim-$v
done
# Side by side: the page's kernel set (our tiled convolution, src/kernels/conv.rs, `--conv tiled`),
# burn's direct convolution (`--conv burn` in the plain build), burn's autotune (`--conv burn` in
# the autotune build); both plain ones again to see the drift.
for run in "plain tiled" "plain burn" "autotune burn" "plain tiled" "plain burn"; do
  set -- $run
  /tmp/featsim-$1 bench --random resnet50 --backend wgpu --size 512 --runs "$RUNS" --conv "$2" 2>&1 \
    | grep -v XDG_RUNTIME | tee -a "$OUT/featsim-wgpu-$1-$2.txt"
done
PYTHONUNBUFFERED=1 python3 benches/torch_resnet.py --arch resnet50 --size 512 --runs "$RUNS" | tee "$OUT/torch.txt"
