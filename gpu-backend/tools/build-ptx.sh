#!/usr/bin/env bash
# Compiles the own CUDA kernels (src/main/cuda/*.cu) to PTX and writes them as resources
# (src/main/resources/org/inceptionj/gpu/ptx/NAME.ptx), which are committed: builds without nvcc
# use them as they are. Run it after changing a .cu or .cuh file and commit the result;
# PtxResourcesTest fails while a committed PTX is older than its sources.
#
#   gpu-backend/tools/build-ptx.sh [OUTPUT_DIR]      (default: the resource directory)
#
# Needs nvcc and ptxas (CUDA 12 or 13; NVCC=/path/to/nvcc and PTXAS=... to choose). Each module is
#   nvcc -ptx -arch=compute_75 -fmad=false NAME.cu
# (-fmad=false: no contraction of a*b + c into FMA, so the float arithmetic rounds as Java's does),
# then its ".version" line is lowered to 7.0 (CUDA 11.0), because nvcc 13 writes PTX ISA 9.0, which
# only CUDA 13 drivers (r580+) accept; the lowered file must still assemble with ptxas for sm_75
# (Turing) and sm_90 (Hopper), which this script checks. Whether a given driver JIT-compiles it is
# checked only on a GPU.
#
# Each file starts with a header naming its sources and their SHA-256 (NAME.cu followed by every
# *.cuh in name order), which the test compares with the sources on every build, nvcc or not.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
src=$here/src/main/cuda
out=${1:-$here/src/main/resources/org/inceptionj/gpu/ptx}
nvcc=${NVCC:-nvcc}
ptxas=${PTXAS:-ptxas}
arch=compute_75
isa=7.0
check_archs="sm_75 sm_90"

command -v "$nvcc" >/dev/null || { echo "build-ptx.sh: nvcc not found (set NVCC=...)" >&2; exit 2; }
command -v "$ptxas" >/dev/null || { echo "build-ptx.sh: ptxas not found (set PTXAS=...)" >&2; exit 2; }
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for cu in "$src"/*.cu; do
    name=$(basename "$cu" .cu)
    hash=$( { cat "$cu"; for h in $(ls "$src"/*.cuh 2>/dev/null | LC_ALL=C sort); do cat "$h"; done; } \
            | sha256sum | cut -d' ' -f1)
    "$nvcc" -ptx -arch=$arch -fmad=false -o "$tmp/$name.nvcc.ptx" "$cu"
    grep -q '^\.version ' "$tmp/$name.nvcc.ptx" || { echo "build-ptx.sh: no .version line in $name" >&2; exit 1; }
    {
        echo "// InceptionJ kernel module '$name', made by gpu-backend/tools/build-ptx.sh from src/main/cuda/$name.cu:"
        echo "// nvcc -ptx -arch=$arch -fmad=false, .version lowered to $isa, assembled by ptxas for $check_archs."
        echo "// sources-sha256: $hash"
        sed "s/^\.version .*/.version $isa/" "$tmp/$name.nvcc.ptx"
    } > "$tmp/$name.ptx"
    for a in $check_archs; do
        "$ptxas" -arch=$a -o /dev/null "$tmp/$name.ptx" \
            || { echo "build-ptx.sh: $name.ptx does not assemble for $a at PTX ISA $isa" >&2; exit 1; }
    done
    cp "$tmp/$name.ptx" "$out/$name.ptx"
    echo "$name.ptx: $(grep -c '^\.visible \.entry' "$out/$name.ptx") kernels, ptxas $check_archs ok"
done
