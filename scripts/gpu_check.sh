#!/bin/bash
# scripts/gpu_check.sh OUT — the CUDA backend on a machine with an NVIDIA GPU,
# in one prepared command (< 8 minutes): build, the CUDA tests, device parity
# of every golden of every row (all have a CUDA generator), the akconv_params
# sweep with BACKENDS=cuda QUICK=1 (+ PyTorch CUDA eager rows and the
# report), and the whole-model bench on yolov8.yaml on the device at batch 1
# and 16 (built for the device's own architecture only, to keep the ~35
# layer compiles short).  Everything lands under OUT:
#   device.txt     nvidia-smi, nvcc --version
#   steps.txt      one line per step: name, exit status, seconds
#   build.log, tests.log, parity.txt, sweep/ (CSV, charts, report), model.txt
# Each step has its own time limit; a failed step is recorded and the next
# one runs.  Written and checked for syntax without a GPU (docs/cuda.md).
set -u
out=${1:?usage: scripts/gpu_check.sh OUT_FOLDER}
cd "$(dirname "$0")/.." || exit 2
mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)
export ABLATE_ROOT=$PWD ABLATE_BIN=./build/ablate
jobs=$(nproc 2>/dev/null || echo 2)

step() { # step NAME LIMIT_S COMMAND...: runs, logs status and seconds
    local name=$1 limit=$2 t0=$SECONDS rc
    shift 2
    echo "== $name"
    # bash -c: the command may be one of the functions below (exported)
    timeout "$limit" bash -c '"$@"' "$name" "$@"
    rc=$?
    printf '%-10s rc=%-3d %4ds\n' "$name" "$rc" $((SECONDS - t0)) | tee -a "$out/steps.txt"
}

# The CUDA rows' goldens through `ablate parity --backends cuda-host,cuda`.
device_parity() {
    local f args fails=0
    for f in tests/goldens/{conv_,akconv_,dcnv3_,acmix_,dyconv2d_,dynamicconv_,bottleneck_,c2f_n,c3_n,sppf_,ghostmodule_,detect_,dlka_,c3_dlka_,c2f_ghost_}*.safetensors; do
        args=$(/usr/bin/python3 - "$f" <<'PY'
import json, struct, sys
with open(sys.argv[1], 'rb') as fh:
    n = struct.unpack('<Q', fh.read(8))[0]
    m = json.loads(fh.read(n))['__metadata__']
no_bn = ('DCNv3', 'DYConv2d', 'DynamicConv', 'ACmix', 'DetectV5', 'deformable_LKA_Attention')
eps = '' if m['module'] in no_bn else ' bn_eps=' + m.get('bn_eps', '1e-5')
print(m['module'] + ' ' + m['args'] + eps)
PY
)
        echo "# $f: $args"
        # shellcheck disable=SC2086  # args are words on purpose
        ./build/ablate parity $args --weights "$f" --input "$f" --expect "$f" --backends cuda-host,cuda ||
            fails=$((fails + 1))
    done
    echo "goldens failing: $fails"
    [ "$fails" = 0 ]
}

sweep_and_report() {
    make sweep EXP=akconv_params BACKENDS=cuda QUICK=1 || return 1
    local run
    run=$(readlink -f runs/akconv_params/latest) || return 1
    /usr/bin/python3 scripts/torch_peer.py --csv "$run/results.csv" --device cuda --quick
    ./build/ablate report "$run"
    cp -r "$run" "$out/sweep"
}

# The whole graph on the device, batch 1 and 16 (the layers built for this
# device's architecture only: nvidia-smi's compute capability, 9.0 -> 90).
model_bench() {
    local cc
    cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')
    ABLATE_CUDA_ARCHS=${cc:-90} ./build/ablate model experiments/models/yolov8.yaml --bench --quick \
        --backends cuda
}

export out
export -f device_parity sweep_and_report model_bench
{ nvidia-smi; /usr/local/cuda/bin/nvcc --version || nvcc --version; } > "$out/device.txt" 2>&1
: > "$out/steps.txt"
step build 240 make -j"$jobs" build/ablate build/test_runner > "$out/build.log" 2>&1
step tests 120 ./build/test_runner --filter 'cuda*/*' > "$out/tests.log" 2>&1
step parity 120 device_parity > "$out/parity.txt" 2>&1
step sweep 150 sweep_and_report > "$out/sweep.log" 2>&1
step model 150 model_bench > "$out/model.txt" 2>&1
cat "$out/steps.txt"
