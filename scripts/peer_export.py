"""Deployment peers: a PyTorch module exported to ONNX and run by ONNX Runtime
or OpenVINO on the CPU.  Shared by scripts/peer_run.py (sweep rows) and
scripts/peer_model.py (whole YAML models); imported, never run.

Export: torch.onnx.export, opset 16 (the first with GridSample, which
DCNv3's dcnv3_core_pytorch needs), static shapes (the batch of the row),
eval mode, constants folded.  Engines:

  * ONNX Runtime: CPUExecutionProvider, intra_op_num_threads = threads,
    inter_op_num_threads = 1, sequential execution, all graph optimisations.
  * OpenVINO: device CPU, INFERENCE_NUM_THREADS = threads, PERFORMANCE_HINT
    LATENCY and INFERENCE_PRECISION_HINT f32: on a CPU with AVX-512 BF16 the
    plugin otherwise runs in bf16 without saying so.

ABLATE_PEER_PERTURB=1 (a test seam) exports out * 1.001 + 0.01 instead of
the module, so tests can check that peer parity catches a wrong export.
"""
import io
import os
import warnings

import torch

OPSET = 16
ENGINES = ('ort', 'openvino')
PACKAGE = {'ort': 'onnxruntime', 'openvino': 'openvino'}
LONG_NAME = {'ort': 'ONNX Runtime', 'openvino': 'OpenVINO'}
ELEM_TOL = 1e-4  # MODULES.md 0.2: |y - ref| <= 1e-4 (1 + |ref|), as the C harness checks


def install_hint(engine):
    """The command that installs an engine where sweeps look for it."""
    return 'make peers (or .venv-peers/bin/pip install %s)' % PACKAGE[engine]


def engine_version(engine):
    """The engine's version string, or None when it cannot be imported."""
    try:
        if engine == 'ort':
            import onnxruntime
            return onnxruntime.__version__
        import openvino  # '2026.4.1-22982-e213a147257-releases/2026/4': the release is enough
        return openvino.get_version().split('-')[0]
    except ImportError:
        return None


class _Perturbed(torch.nn.Module):
    """A deliberately wrong export: small enough to look plausible, far
    outside the parity bound."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x) * 1.001 + 0.01


def export_onnx(module, x):
    """The module as ONNX bytes for input x (static shape)."""
    if os.environ.get('ABLATE_PEER_PERTURB') == '1':
        module = _Perturbed(module)
    buf = io.BytesIO()
    # the exporter's UserWarnings (shape inference, constant folding of
    # Slice) are about its own passes; parity checks what they produce
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)
        torch.onnx.export(module.eval(), (x,), buf, opset_version=OPSET, input_names=['x'],
                          output_names=['y'], do_constant_folding=True)
    return buf.getvalue()


def _ort_runner(onnx_bytes, threads):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(onnx_bytes, so, providers=['CPUExecutionProvider'])
    name = sess.get_inputs()[0].name
    return lambda x: sess.run(None, {name: x})[0]


def _openvino_runner(onnx_bytes, threads):
    import openvino as ov
    core = ov.Core()
    model = core.read_model(onnx_bytes)  # bytes: read as an ONNX model in memory
    compiled = core.compile_model(model, 'CPU', {'INFERENCE_NUM_THREADS': threads,
                                                 'PERFORMANCE_HINT': 'LATENCY',
                                                 'INFERENCE_PRECISION_HINT': 'f32'})
    request = compiled.create_infer_request()
    out = compiled.output(0)

    def run(x):
        request.infer({0: x})
        return request.get_tensor(out).data
    return run


def make_runner(engine, onnx_bytes, threads):
    """A callable numpy float32 NCHW -> numpy output, timed as the peer."""
    return (_ort_runner if engine == 'ort' else _openvino_runner)(onnx_bytes, threads)


def reference_output(module, x):
    """(output, 'float64'|'float32'): the module on x evaluated in float64
    where it runs so (a copy; every seed module does), else in float32.
    Why float64: AKConv's and DCNv3's bilinear sampling amplifies rounding,
    so two correct float32 evaluations (PyTorch's, OpenVINO's) can differ
    by more than the 1e-4 bound while each is within 3e-5 of the exact
    result; the exact result is the fair reference for both."""
    import copy
    with torch.no_grad():
        try:
            y = copy.deepcopy(module).double()(x.double())
            y = y[0] if isinstance(y, (tuple, list)) else y
            return y.numpy(), 'float64'
        except (RuntimeError, TypeError):
            y = module(x)
            y = y[0] if isinstance(y, (tuple, list)) else y
            return y.numpy(), 'float32'


def parity(y, ref):
    """(max_abs, max_rel, nmse, status) of an engine output against the
    reference, with the C harness's bound and names (harness/parity.h)."""
    import numpy as np
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    ref = np.asarray(ref, dtype=np.float64).reshape(-1)
    if y.shape != ref.shape:
        return float('nan'), float('nan'), float('nan'), 'fail_parity'
    d = np.abs(y - ref)
    if not np.all(np.isfinite(y)):
        return float('inf'), float('inf'), float('inf'), 'fail_parity'
    max_abs = float(d.max()) if d.size else 0.0
    max_rel = float((d / (1 + np.abs(ref))).max()) if d.size else 0.0
    den = float((ref * ref).sum())
    nmse = float((d * d).sum()) / den if den > 0 else 0.0
    return max_abs, max_rel, nmse, 'ok' if max_rel <= ELEM_TOL else 'fail_parity'
