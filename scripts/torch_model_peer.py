#!/usr/bin/python3
"""PyTorch 1.13 eager end-to-end timing of a YOLO model YAML: the peer that
`ablate model FILE.yaml --bench` is compared with.

Usage:
    /usr/bin/python3 scripts/torch_model_peer.py FILE.yaml SCALE IMGSZ [THREADS ...]

SCALE is '' for a YOLOv5-style YAML (no scales: depth_multiple,
width_multiple and YOLOv5's anchor-based Detect, torchref/ultralytics.py).
Builds the model as scripts/torch_model_golden.py does (plain-torch
re-typings of ultralytics' Conv, C2f, SPPF, Detect in torchref/ultralytics.py; random weights; BN eps
1e-3; eval; no_grad; float32; batch 1) and prints, per thread count, the
median, p10 and p90 of the forward's wall time over at least 20 calls and
about 3 s after 5 warm-up calls (a model slower than 1.5 s a call: at least
5 calls and about 30 s, see time_forward), e.g.

    torch 1.13.0 yolov8.yaml n 640: threads 2: median 95.1 ms (p10 93.8, p90 99.0), 32 calls

OPENBLAS_NUM_THREADS=1 as in scripts/torch_peer.py (PyTorch's conv runs on
oneDNN with its own threads; torch.set_num_threads picks them).
"""
import os
import sys

if os.environ.get('OPENBLAS_NUM_THREADS') != '1':
    os.environ['OPENBLAS_NUM_THREADS'] = '1'
    os.execv(sys.executable, [sys.executable] + sys.argv)

import time  # noqa: E402

import torch  # noqa: E402
import yaml  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchref.randomize import randomize_weights  # noqa: E402
from torchref.seeds import seed_layer  # noqa: E402
from torchref.ultralytics import Model  # noqa: E402


def build(path, scale):
    with open(path) as f:
        d = yaml.safe_load(f)
    m = Model(d, scale, seed_layer)
    gen = torch.Generator().manual_seed(0)
    for sub in m.model:
        randomize_weights(sub, gen)
    return m.eval()


def label(path, scale, imgsz):
    """'yolov8.yaml n 640', or 'yolov5n.yaml 640' for a YAML without scales."""
    return ' '.join(w for w in (os.path.basename(path), scale, str(imgsz)) if w)


def time_forward(m, x, min_calls=20, min_seconds=3.0, slow_seconds=30.0, slow_calls=5):
    """Median, p10, p90 (ms) and calls: 5 warm-up calls (fewer once 10 s
    have passed), then at least min_calls and min_seconds -- except that a
    slow model (PyTorch eager ACmix-YOLOv8n: about 3 s a call) stops after
    slow_seconds once it has slow_calls, so one line fits a 3-minute
    timing slot; the line says how many calls it had."""
    with torch.no_grad():
        warm = time.perf_counter()
        for _ in range(5):
            m(x)
            if time.perf_counter() - warm > 10.0:
                break
        times, start = [], time.perf_counter()
        while len(times) < min_calls or time.perf_counter() - start < min_seconds:
            if len(times) >= slow_calls and time.perf_counter() - start >= slow_seconds:
                break
            t0 = time.perf_counter()
            m(x)
            times.append(time.perf_counter() - t0)
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1e3
    return pick(0.5), pick(0.1), pick(0.9), len(times)


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    path, scale, imgsz = argv[1], argv[2], int(argv[3])
    threads = [int(t) for t in argv[4:]] or [1, 2]
    m = build(path, scale)
    x = torch.randn(1, 3, imgsz, imgsz, generator=torch.Generator().manual_seed(1))
    for t in threads:
        torch.set_num_threads(t)
        med, p10, p90, n = time_forward(m, x)
        print('torch %s %s: threads %d: median %.1f ms (p10 %.1f, p90 %.1f), %d calls'
              % (torch.__version__, label(path, scale, imgsz), t, med, p10, p90, n), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
