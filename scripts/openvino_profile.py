#!/usr/bin/python3
"""OpenVINO's own per-layer times for a YOLO model YAML, beside the
`in_graph_ms` column of `ablate model FILE.yaml --bench`.

Usage (with the peers venv, as scripts/peer_model.py):
    $ABLATE_PEERS_VENV/bin/python scripts/openvino_profile.py FILE.yaml SCALE IMGSZ [THREADS]

Builds and exports the model exactly as the OpenVINO peer does
(scripts/peer_model.py: same seed, random weights, float32, batch 1),
compiles it with the peer's settings plus PERF_COUNT, runs 5 warm-up and
RUNS timed inferences, and sums OpenVINO's per-node real time
(InferRequest.get_profiling_info) by the YOLO layer the node came from: the
exporter names nodes /model.{i}/..., and OpenVINO keeps the name of a
fused node's first op.  Nodes of no layer (the input, reorders between
layouts, the output) are summed in a row of their own.  Prints one line per
layer: layer, median ms over the runs, the node types it ran as; then the
sum of the rows and the median wall time of the same inferences.

Why: the end-to-end ratio against OpenVINO does not say which layers lose
(docs/modules/dynamic.md, fifth pass).
"""
import argparse
import collections
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_peer as T  # noqa: E402,F401  (re-executes with torch_peer.py's environment)
import torch_model_peer as TM  # noqa: E402
import peer_export as P  # noqa: E402
import torch  # noqa: E402

RUNS = 30
LAYER = re.compile(r'/model\.(\d+)/')


def layer_of(name):
    """The YOLO layer index a node name names, or None."""
    m = LAYER.search(name)
    return int(m.group(1)) if m else None


def compile_profiled(onnx_bytes, threads):
    import openvino as ov
    core = ov.Core()
    model = core.read_model(onnx_bytes)
    compiled = core.compile_model(model, 'CPU', {'INFERENCE_NUM_THREADS': threads,
                                                 'PERFORMANCE_HINT': 'LATENCY',
                                                 'INFERENCE_PRECISION_HINT': 'f32',
                                                 'PERF_COUNT': True})
    return ov.get_version(), compiled.create_infer_request()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('yaml')
    ap.add_argument('scale')
    ap.add_argument('imgsz', type=int)
    ap.add_argument('threads', type=int, nargs='?', default=1)
    opt = ap.parse_args(argv)
    m = TM.build(opt.yaml, opt.scale)
    x = torch.randn(1, 3, opt.imgsz, opt.imgsz, generator=torch.Generator().manual_seed(1))
    version, request = compile_profiled(P.export_onnx(m, x), opt.threads)
    xn = x.numpy()
    for _ in range(5):
        request.infer({0: xn})
    per_layer = collections.defaultdict(list)  # layer -> ms per run
    kinds = collections.defaultdict(set)
    walls = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        request.infer({0: xn})
        walls.append((time.perf_counter() - t0) * 1e3)
        sums = collections.defaultdict(float)
        for info in request.get_profiling_info():
            layer = layer_of(info.node_name)
            us = info.real_time.total_seconds() * 1e6
            sums[layer] += us / 1e3
            if us > 0:
                kinds[layer].add(info.exec_type)
        for layer, ms in sums.items():
            per_layer[layer].append(ms)
    print('OpenVINO %s per-layer profile: %s, %d thread(s), median of %d inferences'
          % (version, TM.label(opt.yaml, opt.scale, opt.imgsz), opt.threads, RUNS))
    print('%5s %10s  %s' % ('layer', 'ms', 'exec types'))
    total = 0.0
    for layer in sorted(per_layer, key=lambda k: (k is None, k if k is not None else 0)):
        med = statistics.median(per_layer[layer])
        total += med
        print('%5s %10.4f  %s' % ('-' if layer is None else layer, med, ','.join(sorted(kinds[layer]))))
    print('sum of the rows %.3f ms; inference wall time median %.3f ms' % (total, statistics.median(walls)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
