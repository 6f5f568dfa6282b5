#!/usr/bin/env bash
# One prepared run on a lent GPU machine (see README, "Performance"): native FeatSim on wgpu
# (Vulkan) and PyTorch on the same GPU, same architecture and input size. Expects the featsim
# binary gzipped at .benchbin/featsim.gz and the Vulkan loader's .deb in .gl/ (both carried).
set -euo pipefail
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES=$icd
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
nvidia-smi -L | tee "$OUT/gpu.txt"
gunzip -c .benchbin/featsim.gz > /tmp/featsim
chmod +x /tmp/featsim
RUNS=${RUNS:-20}
/tmp/featsim bench --random resnet50 --backend wgpu --size 512 --runs "$RUNS" 2>&1 | grep -v XDG_RUNTIME | tee "$OUT/featsim-wgpu.txt"
PYTHONUNBUFFERED=1 python3 benches/torch_resnet.py --arch resnet50 --size 512 --runs "$RUNS" | tee "$OUT/torch.txt"
