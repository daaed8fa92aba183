#!/usr/bin/python3
"""ONNX Runtime / OpenVINO end-to-end timing of a YOLO model YAML: the
deployment peers of `ablate model FILE.yaml --bench --peers ort,openvino`.

Usage (with .venv-peers/bin/python, see `make peers`):
    python scripts/peer_model.py --engine ort|openvino FILE.yaml SCALE IMGSZ [THREADS ...]

SCALE is '' for a YOLOv5-style YAML (no scales).  Builds the model as
scripts/torch_model_peer.py does (same seed, random weights, eval, float32,
batch 1), exports it with torch.onnx.export (scripts/peer_export.py: opset
16, static shape) and times the engine as torch_model_peer.py times
PyTorch: 5 warm-up calls, then at least 20 calls and about 3 s (a slow
model: at least 5 calls and about 30 s, TM.time_forward); prints, per
thread count, one line that `ablate model` reads:

    ort 1.32.0 yolov8.yaml n 640: threads 2: median 28.1 ms (p10 27.9, p90 29.0), 107 calls,
        co-tenant load 0.12 CPUs, parity ok max_rel 3e-06 vs float64

Parity first: the engine's output against the PyTorch model's (float64)
on the same input, |y - ref| <= 1e-4 (1 + |ref|).  A failed check is not
timed (a wrong export's time would mislead) and prints

    ort 1.32.0 yolov8.yaml n 640: threads 2: fail_parity max_abs 0.0101 max_rel 0.0099 nmse 2.2e-05 vs float64

Exit status 0 when every thread count passed, 1 on fail_parity, 3 when
the engine cannot be imported (then one line `skipped: REASON`).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import time  # noqa: E402

import torch_peer as T  # noqa: E402  (re-executes with torch_peer.py's environment)
import torch_model_peer as TM  # noqa: E402
import peer_export as P  # noqa: E402
import torch  # noqa: E402


def timed_with_load(run, xn):
    """TM.time_forward of the engine, and the other processes' CPU use
    (cores) meanwhile, from /proc/stat as scripts/torch_peer.py reads it."""
    b0, c0, w0 = T.busy_seconds(), time.process_time(), time.perf_counter()
    stats = TM.time_forward(lambda _: run(xn), None)
    wall = time.perf_counter() - w0
    other = (T.busy_seconds() - b0) - (time.process_time() - c0)
    return stats + (max(0.0, other / wall) if wall > 0 else 0.0,)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--engine', required=True, choices=P.ENGINES)
    ap.add_argument('yaml')
    ap.add_argument('scale')
    ap.add_argument('imgsz', type=int)
    ap.add_argument('threads', type=int, nargs='*')
    opt = ap.parse_args(argv)
    version = P.engine_version(opt.engine)
    if version is None:
        print('skipped: %s cannot import %s; install: %s' % (sys.executable, P.PACKAGE[opt.engine],
                                                             P.install_hint(opt.engine)))
        return 3
    m = TM.build(opt.yaml, opt.scale)
    x = torch.randn(1, 3, opt.imgsz, opt.imgsz, generator=torch.Generator().manual_seed(1))
    ref, ref_dtype = P.reference_output(m, x)
    onnx = P.export_onnx(m, x)
    xn = x.numpy()
    head = '%s %s %s' % (opt.engine, version, TM.label(opt.yaml, opt.scale, opt.imgsz))
    worst = 0
    for t in opt.threads or [1, 2]:
        run = P.make_runner(opt.engine, onnx, t)
        max_abs, max_rel, nmse, status = P.parity(run(xn), ref)
        if status != 'ok':
            print('%s: threads %d: fail_parity max_abs %.3g max_rel %.3g nmse %.3g vs %s'
                  % (head, t, max_abs, max_rel, nmse, ref_dtype), flush=True)
            worst = 1
            continue
        med, p10, p90, n, load = timed_with_load(run, xn)
        print('%s: threads %d: median %.1f ms (p10 %.1f, p90 %.1f), %d calls, co-tenant load %.2f CPUs, '
              'parity ok max_rel %.2g vs %s' % (head, t, med, p10, p90, n, load, max_rel, ref_dtype), flush=True)
    return worst

if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
