#!/usr/bin/python3
"""Golden files for ablate's parity tests, computed by PyTorch.

Usage:
    /usr/bin/python3 scripts/torch_golden.py OUTDIR          write every case
    /usr/bin/python3 scripts/torch_golden.py OUTDIR MODULE.. write those modules' cases only
                                                            (e.g. GhostModule: leaves the others'
                                                            files untouched)
    /usr/bin/python3 scripts/torch_golden.py --verify DIR    re-check written files
    /usr/bin/python3 scripts/torch_golden.py --selftest      D-LKA's gather sampler vs a plain loop

Why this exists: the C forwards in kernels/ must agree with the PyTorch modules
they replace (MODULES.md 0.2).  The PyTorch ports of those modules with the
official semantics are the package scripts/torchref/ (one module per seed
file); this driver holds the case lists of the basic rows, draws random
weights and inputs through torchref, and stores weights, input `x` and
expected output `y` in one safetensors file per case (the heads: one input
per level, `x0`, `x1`, ...).  --verify re-runs every file and checks it
against independent float64 re-implementations of the MODULES.md steps.
It runs on Debian's python3-torch 1.13 alone: no einops, no safetensors
package (torchref/io.py writes the format by hand).

make_parity_case.py and torch_peer.py build their modules through the same
torchref.registry, so the three scripts always agree on what "Conv" and
"AKConv" mean.
"""
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchref.acmix import acmix_spec  # noqa: E402
from torchref.akconv import BORDER_MARGIN, border_stats  # noqa: E402
from torchref.case import make_case  # noqa: E402
from torchref.dcnv3 import DCNV3_CASES, dcnv3_spec  # noqa: E402
from torchref.detect_v5 import CASES as HEAD_CASES  # noqa: E402
from torchref.detect_v5 import MODULES as HEADS  # noqa: E402
from torchref.detect_v5 import build as build_head  # noqa: E402
from torchref.detect_v5 import parse_args as head_parse_args  # noqa: E402
from torchref.detect_v5 import level_inputs, randomize_head, spec_v5  # noqa: E402
from torchref.dlka import CASES as DLKA_CASES  # noqa: E402
from torchref.dlka import MODULES as DLKA_MODULES  # noqa: E402
from torchref.dlka import parse_args as dlka_parse_args  # noqa: E402
from torchref.dlka import randomize as dlka_randomize  # noqa: E402
from torchref.dlka import selftest_worst_diff as dlka_selftest_worst_diff  # noqa: E402
from torchref.draw import randn  # noqa: E402
from torchref.dyconv import DYCONV_CASES, DYNAMICCONV_CASES, DYN_SPECS  # noqa: E402
from torchref.ghost import C2F_GHOST_CASES, GHOST_CASES, GHOST_FILE_PREFIX, GHOST_SPECS  # noqa: E402
from torchref.io import read_safetensors, state_tensors, write_safetensors  # noqa: E402
from torchref.registry import MODULE_KEYS, MODULE_NAMES, build_module, parse_kv, resolve_args  # noqa: E402
from torchref.rng import golden_tensors as rng_golden_tensors  # noqa: E402


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

def _c(name, args, h, w, batch=1, scale=2.0):
    return {'name': name, 'args': args, 'h': h, 'w': w, 'batch': batch, 'scale': scale}


CONV_CASES = [
    _c('k3s1_7x9', 'c1=4 c2=6 k=3 s=1 g=1 d=1', 7, 9),
    _c('k3s2_9x12', 'c1=3 c2=8 k=3 s=2 g=1 d=1', 9, 12),
    _c('k1s1_8x5', 'c1=8 c2=5 k=1 s=1 g=1 d=1', 8, 5),
    _c('k3s2_b2_10x10', 'c1=4 c2=4 k=3 s=2 g=1 d=1', 10, 10, batch=2),
    _c('k3s1_g2_8x8', 'c1=4 c2=6 k=3 s=1 g=2 d=1', 8, 8),
    _c('k3s1_d2_9x11', 'c1=3 c2=4 k=3 s=1 g=1 d=2', 9, 11),
    _c('k5s2_13x11', 'c1=5 c2=7 k=5 s=2 g=1 d=1', 13, 11),
]

AKCONV_CASES = [
    _c('n1_s1_ij_8x8', 'inc=4 outc=6 num_param=1 stride=1 grid=ij', 8, 8),
    _c('n3_s1_ij_9x13', 'inc=4 outc=5 num_param=3 stride=1 grid=ij', 9, 13),
    _c('n3_s1_xy_9x13', 'inc=4 outc=5 num_param=3 stride=1 grid=xy', 9, 13),
    _c('n5_s2_ij_11x7', 'inc=6 outc=8 num_param=5 stride=2 grid=ij', 11, 7),
    _c('n5_s2_xy_11x7', 'inc=6 outc=8 num_param=5 stride=2 grid=xy', 11, 7),
    _c('n5_s1_ij_b2_10x10', 'inc=3 outc=4 num_param=5 stride=1 grid=ij', 10, 10, batch=2),
    _c('n5_s1_xy_b2_10x10', 'inc=3 outc=4 num_param=5 stride=1 grid=xy', 10, 10, batch=2),
    _c('n6_s2_ij_10x14', 'inc=4 outc=4 num_param=6 stride=2 grid=ij', 10, 14),
    _c('n7_s1_ij_12x9', 'inc=5 outc=6 num_param=7 stride=1 grid=ij', 12, 9),
    _c('n7_s2_xy_12x9', 'inc=5 outc=6 num_param=7 stride=2 grid=xy', 12, 9),
    _c('n11_s1_ij_16x16', 'inc=3 outc=4 num_param=11 stride=1 grid=ij', 16, 16),
    _c('n11_s2_xy_13x16', 'inc=4 outc=3 num_param=11 stride=2 grid=xy', 13, 16),
    _c('n3_s1_ij_bias_8x10', 'inc=4 outc=6 num_param=3 stride=1 grid=ij bias=1', 8, 10),
    _c('n3_s1_ij_1x9', 'inc=3 outc=4 num_param=3 stride=1 grid=ij', 1, 9),
    _c('n4_s1_xy_7x1', 'inc=3 outc=4 num_param=4 stride=1 grid=xy', 7, 1),
    _c('n5_s1_ij_border_9x9', 'inc=4 outc=5 num_param=5 stride=1 grid=ij', 9, 9, scale=8.0),
    _c('n5_s2_xy_border_9x12', 'inc=4 outc=5 num_param=5 stride=2 grid=xy', 9, 12, scale=8.0),
]

# kernel_att 3/5/7, head 1/2/4, stride 1/2, H != W, batch 2, and maps barely
# larger than the reflection padding (4 > 3, 3 > 2) where most taps reflect.
ACMIX_CASES = [
    _c('ka3_h1_s1_7x9', 'in_planes=4 out_planes=6 kernel_att=3 head=1', 7, 9),
    _c('ka5_h2_s1_9x8', 'in_planes=5 out_planes=8 kernel_att=5 head=2', 9, 8),
    _c('ka7_h4_s1_10x12', 'in_planes=6 out_planes=8 kernel_att=7 head=4', 10, 12),
    _c('ka3_h2_s2_8x10', 'in_planes=4 out_planes=6 kernel_att=3 head=2 stride=2', 8, 10),
    _c('ka5_h4_s2_b2_8x12', 'in_planes=3 out_planes=8 kernel_att=5 head=4 stride=2', 8, 12, batch=2),
    _c('ka7_h1_s2_10x8', 'in_planes=5 out_planes=4 kernel_att=7 head=1 stride=2', 10, 8),
    _c('ka3_h4_s1_b2_6x5', 'in_planes=3 out_planes=8 kernel_att=3 head=4', 6, 5, batch=2),
    _c('ka7_h2_s1_4x9', 'in_planes=4 out_planes=4 kernel_att=7 head=2', 4, 9),
    _c('ka5_h1_s1_3x11', 'in_planes=3 out_planes=5 kernel_att=5 head=1', 3, 11),
]

# shortcut taken / not taken (c1 != c2 or off), groups, k 5, batch 2, H != W,
# a 1-pixel-high map, n 1 and 2.
BOTTLENECK_CASES = [
    _c('c4_7x9', 'c1=4 c2=4', 7, 9),
    _c('c4to6_9x8', 'c1=4 c2=6', 9, 8),
    _c('noshort_b2_6x5', 'c1=6 c2=6 shortcut=0', 6, 5, batch=2),
    _c('g2_e1_8x11', 'c1=4 c2=4 g=2 e=1.0', 8, 11),
    _c('k5_10x7', 'c1=3 c2=4 k=5', 10, 7),
]

SPPF_CASES = [  # odd and H != W maps: the max pools' -inf padding at every border
    _c('k5_9x7', 'c1=6 c2=8 k=5', 9, 7),
    _c('k3_b2_6x11', 'c1=4 c2=4 k=3', 6, 11, batch=2),
    _c('k5_1x9', 'c1=8 c2=6 k=5', 1, 9),
]

C2F_CASES = [
    _c('n1_8x10', 'c1=4 c2=6 n=1', 8, 10),
    _c('n2_short_7x9', 'c1=5 c2=8 n=2 shortcut=1', 7, 9),
    _c('n1_short_b2_6x5', 'c1=4 c2=4 n=1 shortcut=1', 6, 5, batch=2),
    _c('n2_g2_9x6', 'c1=6 c2=8 n=2 g=2', 9, 6),
    _c('n1_1x9', 'c1=3 c2=4 n=1', 1, 9),
]


def case_metadata(module, case, info):
    meta = {'module': module, 'args': case['args'], 'bn_eps': '1e-05',
            'case': '%s, batch %d, %dx%d input' % (case['name'], case['batch'], case['h'], case['w']),
            'seed': str(info['seed'])}
    if 'offset_seed' in info:
        meta['offset_seed'] = str(info['offset_seed'])
        meta['offset_scale'] = str(case['scale'])
    return meta


def write_case(outdir, module, case, seed):
    kv = parse_kv(case['args'].split())
    m, x, y, info = make_case(module, kv, case['batch'], case['h'], case['w'], seed, case['scale'])
    tensors = state_tensors(m)
    tensors['x'], tensors['y'] = x, y
    stem = GHOST_FILE_PREFIX.get(module, module.lower())
    path = os.path.join(outdir, '%s_%s.safetensors' % (stem, case['name']))
    write_safetensors(path, tensors, case_metadata(module, case, info))
    extra = ''
    if 'margin' in info:
        extra = '  margin %.4f  outside %.0f%%' % (info['margin'], 100 * info['outside'])
    print('wrote %s  x%s -> y%s  %d bytes%s' % (path, tuple(x.shape), tuple(y.shape),
                                               os.path.getsize(path), extra))
    return path


# (module, its cases, first seed): the seeds fix every file's content.
ALL_CASES = [
    ('Conv', CONV_CASES, 100),
    ('AKConv', AKCONV_CASES, 200),
    ('ACmix', ACMIX_CASES, 300),
    ('Bottleneck', BOTTLENECK_CASES, 700),
    ('C2f', C2F_CASES, 800),
    ('DYConv2d', DYCONV_CASES, 900),
    ('DynamicConv', DYNAMICCONV_CASES, 1000),
    ('GhostModule', GHOST_CASES, 1100),
    ('C2f_GhostModule_DynamicConv', C2F_GHOST_CASES, 1200),
    ('DCNv3', DCNV3_CASES, 1100),
    ('SPPF', SPPF_CASES, 1300),  # 1100 as first written: the files stay byte-identical
]


# --------------------------------------------------------------------------
# C3, deformable_LKA_Attention, C3_DCNv3_DLKA (torchref/dlka.py's cases)
# --------------------------------------------------------------------------

def write_dlka_case(outdir, case, seed):
    m, c_in = dlka_parse_args(case['module'], case['args'])
    gen = torch.Generator().manual_seed(seed)
    dlka_randomize(m, gen, case['offset_px'])
    m.eval()
    x = randn((case['batch'], c_in, case['h'], case['w']), gen)
    with torch.no_grad():
        y = m(x)
    tensors = state_tensors(m)
    tensors['x'], tensors['y'] = x, y
    meta = {'module': case['module'], 'args': case['args'], 'bn_eps': '1e-05', 'seed': str(seed),
            'case': '%s, batch %d, %dx%d input' % (case['name'], case['batch'], case['h'], case['w'])}
    path = os.path.join(outdir, case['name'] + '.safetensors')
    write_safetensors(path, tensors, meta)
    print('wrote %s  x%s -> y%s' % (path, tuple(x.shape), tuple(y.shape)))


def write_dlka_cases(outdir):
    os.makedirs(outdir, exist_ok=True)
    for i, case in enumerate(DLKA_CASES):
        write_dlka_case(outdir, case, 1100 + i)


def verify_dlka_file(path):
    """Reload, re-run: against the file's y within PORT_TOL (see verify_file)."""
    t, meta = read_safetensors(path)
    m, _ = dlka_parse_args(meta['module'], meta['args'])
    m.load_state_dict({k: v for k, v in t.items() if k not in ('x', 'y')}, strict=True)
    with torch.no_grad():
        y = m.eval()(t['x'])
    ok, msg = port_agrees(y, t['y'])
    print('%s %s: %s' % ('ok  ' if ok else 'FAIL', os.path.basename(path), msg))
    return ok


# A port re-run is bit-exact on the CPU that wrote the file; another CPU's
# oneDNN kernels sum in another order and land ~1e-7 away.
PORT_TOL = 1e-5


def port_agrees(y, expected):
    """(ok, message): y against a stored output, relative to 1 + |expected|."""
    if torch.equal(y, expected):
        return True, 'bit-exact'
    err = ((y - expected).abs() / (1 + expected.abs())).max().item()
    return err <= PORT_TOL, 'port rel err %.2g' % err


# --------------------------------------------------------------------------
# Detect, DetectV5: one input per level (torchref/detect_v5.py's cases)
# --------------------------------------------------------------------------

def write_head_case(outdir, case, seed):
    gen = torch.Generator().manual_seed(seed)
    m = build_head(case['module'], case['args'], case['bn_eps'], gen)
    randomize_head(m, gen)
    xs = level_inputs(head_parse_args(case['args']), case['batch'], case['h'], case['w'], gen)
    with torch.no_grad():
        y = m(list(xs))
    tensors = state_tensors(m)
    tensors.update({'x%d' % l: x for l, x in enumerate(xs)})
    tensors['y'] = y
    meta = {'module': case['module'], 'args': case['args'], 'bn_eps': repr(case['bn_eps']),
            'seed': str(seed), 'levels': str(len(xs)),
            'case': '%s, batch %d, %dx%d level 0' % (case['name'], case['batch'], case['h'], case['w'])}
    path = os.path.join(outdir, case['name'] + '.safetensors')
    write_safetensors(path, tensors, meta)
    print('wrote %s  %s -> y%s  %d bytes' % (path, ' '.join(str(tuple(x.shape)) for x in xs),
                                             tuple(y.shape), os.path.getsize(path)))
    return path


def write_head_cases(outdir, only=None):
    """Every case, or those of the rows named in `only`."""
    os.makedirs(outdir, exist_ok=True)
    return [write_head_case(outdir, case, 1400 + i) for i, case in enumerate(HEAD_CASES)
            if only is None or case['module'] in only]


def verify_head_file(path):
    """Reload, re-run: bit-exact against the file's y; DetectV5 also against
    the float64 spec (1e-4 (1 + |y|))."""
    t, meta = read_safetensors(path)
    levels = int(meta['levels'])
    xs = [t['x%d' % l] for l in range(levels)]
    m = build_head(meta['module'], meta['args'], float(meta['bn_eps']))
    sd = {k: v for k, v in t.items() if not k.startswith('x') and k != 'y'}
    m.load_state_dict(sd, strict=True)
    with torch.no_grad():
        y = m(list(xs))
    ok, msg = port_agrees(y, t['y'])
    if meta['module'] == 'DetectV5':
        ys = spec_v5(head_parse_args(meta['args']), sd, xs)
        err = ((ys - t['y'].double()).abs() / (1 + ys.abs())).max().item()
        ok = ok and err <= 1e-4
        msg += ', spec rel err %.2g' % err
    print('%s %s: %s' % ('ok  ' if ok else 'FAIL', os.path.basename(path), msg))
    return ok


def write_all(outdir, only=None):
    """Writes every module's cases, or only those of the modules named in
    `only` (names as MODULE_NAMES spells them, any case)."""
    os.makedirs(outdir, exist_ok=True)
    heads = {n.lower(): n for n in HEADS}
    wanted = {heads.get(n.lower(), MODULE_NAMES.get(n.lower(), n)) for n in only} if only else None
    unknown = wanted - {name for name, _, _ in ALL_CASES} - set(heads.values()) if wanted else set()
    if unknown:
        raise ValueError('no golden cases for %s' % ', '.join(sorted(unknown)))
    paths = []
    for module, cases, seed0 in ALL_CASES:
        if wanted is None or module in wanted:
            for i, case in enumerate(cases):
                paths.append(write_case(outdir, module, case, seed0 + i))
    paths += write_head_cases(outdir, wanted)
    total = sum(os.path.getsize(p) for p in paths)
    print('%d files, %d bytes in all' % (len(paths), total))
    write_dlka_cases(outdir)
    if wanted is None:
        write_rng_golden(outdir)


RNG_GOLDEN = 'rng_stream.safetensors'


def write_rng_golden(outdir):
    """kernels/rng.c's stream and floats (torchref/rng.py), tests/test_rng.c."""
    write_safetensors(os.path.join(outdir, RNG_GOLDEN), rng_golden_tensors(), {'kind': 'rng'})


def verify_rng_file(path):
    t, _ = read_safetensors(path)
    want = rng_golden_tensors()
    ok = all(torch.equal(t[k], want[k]) for k in want)
    print('%s %s: %s' % ('ok  ' if ok else 'FAIL', os.path.basename(path), 'stream and floats re-drawn'))
    return ok


# --------------------------------------------------------------------------
# Verification: re-load, re-run, and compare against MODULES.md 5.1 scalar steps
# --------------------------------------------------------------------------

def akconv_spec_forward(kv, sd, x):
    """AKConv written from MODULES.md 5.1 steps 2-8, independently of the port
    above (float32 coordinates, float64 arithmetic).  p_conv is taken from
    torch since it is a plain convolution."""
    a = resolve_args('AKConv', kv)
    N, s, grid = a['num_param'], a['stride'], a['grid']
    off = torch.nn.functional.conv2d(x, sd['p_conv.weight'], sd['p_conv.bias'], s, 1).numpy()
    xn = x.double().numpy()
    B, C, H, W = xn.shape
    Ho, Wo = off.shape[2], off.shape[3]
    b_ = math.isqrt(N)
    base = b_ + (1 if N > b_ * b_ + b_ else 0)
    rows, mod = N // base, N % base
    pn = [(n // base, n % base) if grid == 'ij' else (n % rows, n // rows) for n in range(rows * base)]
    pn += [(rows, m) for m in range(mod)]
    S = np.zeros((B, C, Ho * N, Wo))
    for b in range(B):
        for i in range(Ho):
            for j in range(Wo):
                if grid == 'ij':
                    p0 = (i * s, j * s)
                else:
                    f = i * Wo + j
                    p0 = ((f % Ho) * s, (f // Ho) * s)
                for n in range(N):
                    px = np.float32(p0[0] + pn[n][0]) + off[b, n, i, j]
                    py = np.float32(p0[1] + pn[n][1]) + off[b, N + n, i, j]
                    fx, fy = math.floor(px), math.floor(py)
                    ltx, rbx = min(max(fx, 0), H - 1), min(max(fx + 1, 0), H - 1)
                    lty, rby = min(max(fy, 0), W - 1), min(max(fy + 1, 0), W - 1)
                    px, py = min(max(float(px), 0.0), H - 1.0), min(max(float(py), 0.0), W - 1.0)
                    g_lt = (1 + (ltx - px)) * (1 + (lty - py))
                    g_rb = (1 - (rbx - px)) * (1 - (rby - py))
                    g_lb = (1 + (ltx - px)) * (1 - (rby - py))
                    g_rt = (1 - (rbx - px)) * (1 + (lty - py))
                    S[b, :, i * N + n, j] = (g_lt * xn[b, :, ltx, lty] + g_rb * xn[b, :, rbx, rby]
                                             + g_lb * xn[b, :, ltx, rby] + g_rt * xn[b, :, rbx, lty])
    Wc = sd['conv.0.weight'].double().numpy()[:, :, :, 0]  # (outc, inc, N)
    z = np.einsum('ocn,bcinj->boij', Wc, S.reshape(B, C, Ho, N, Wo))
    if 'conv.0.bias' in sd:
        z = z + sd['conv.0.bias'].double().numpy()[None, :, None, None]
    g, bt = sd['conv.1.weight'].double().numpy(), sd['conv.1.bias'].double().numpy()
    mu, var = sd['conv.1.running_mean'].double().numpy(), sd['conv.1.running_var'].double().numpy()
    z = (z - mu[None, :, None, None]) / np.sqrt(var[None, :, None, None] + a['bn_eps'])
    z = z * g[None, :, None, None] + bt[None, :, None, None]
    return z / (1 + np.exp(-z))


def conv_spec_forward(kv, sd, x):
    """Conv written from MODULES.md 3.1 / 0.1 (explicit autopad, BN by formula)."""
    a = resolve_args('Conv', kv)
    k, d = a['k'], a['d']
    pad = (d * (k - 1) + 1) // 2 if a['p'] < 0 else a['p']
    z = torch.nn.functional.conv2d(x.double(), sd['conv.weight'].double(), None, a['s'], pad, d, a['g'])
    col = lambda name: sd[name].double().view(1, -1, 1, 1)
    z = (z - col('bn.running_mean')) / torch.sqrt(col('bn.running_var') + a['bn_eps'])
    z = z * col('bn.weight') + col('bn.bias')
    return (z * torch.sigmoid(z) if a['act'] else z).numpy()


def _sub(sd, prefix):
    return {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}


def _spec_conv(sd, prefix, c1, c2, k, g, eps, x):
    kv = {'c1': c1, 'c2': c2, 'k': k, 'g': g, 'bn_eps': eps}
    return torch.from_numpy(conv_spec_forward(kv, _sub(sd, prefix), x))


def bottleneck_spec_forward(kv, sd, x, prefix=''):
    """Bottleneck from MODULES.md 3.2 steps 1-3 on conv_spec_forward."""
    a = resolve_args('Bottleneck', kv)
    c_ = int(a['c2'] * a['e'])
    t = _spec_conv(sd, prefix + 'cv1.', a['c1'], c_, a['k'], 1, a['bn_eps'], x)
    t = _spec_conv(sd, prefix + 'cv2.', c_, a['c2'], a['k'], a['g'], a['bn_eps'], t)
    return (x.double() + t if a['shortcut'] and a['c1'] == a['c2'] else t).numpy()


def c2f_spec_forward(kv, sd, x):
    """C2f from MODULES.md 3.3 step 3 (explicit slices, no chunk)."""
    a = resolve_args('C2f', kv)
    c, n = int(a['c2'] * a['e']), a['n']
    t = _spec_conv(sd, 'cv1.', a['c1'], 2 * c, 1, 1, a['bn_eps'], x)
    ys = [t[:, :c], t[:, c:2 * c]]
    for i in range(n):
        bkv = {'c1': c, 'c2': c, 'shortcut': a['shortcut'], 'g': a['g'], 'e': 1.0,
               'bn_eps': a['bn_eps']}
        ys.append(torch.from_numpy(bottleneck_spec_forward(bkv, sd, ys[-1], 'm.%d.' % i)))
    return _spec_conv(sd, 'cv2.', (2 + n) * c, a['c2'], 1, 1, a['bn_eps'], torch.cat(ys, 1)).numpy()


def sppf_spec_forward(kv, sd, x):
    """SPPF from MODULES.md 3.5: three stride-1 max pools padded with -inf."""
    a = resolve_args('SPPF', kv)
    c_, k = a['c1'] // 2, a['k']
    ys = [_spec_conv(sd, 'cv1.', a['c1'], c_, 1, 1, a['bn_eps'], x)]
    for _ in range(3):
        ys.append(torch.nn.functional.max_pool2d(ys[-1], k, 1, k // 2))
    return _spec_conv(sd, 'cv2.', 4 * c_, a['c2'], 1, 1, a['bn_eps'], torch.cat(ys, 1)).numpy()


def verify_file(path):
    """Rebuilds the module from the file's metadata, reloads its weights and
    checks y: the port within PORT_TOL, the spec version within 1e-4*(1+|y|)."""
    t, meta = read_safetensors(path)
    if meta.get('kind') == 'rng':
        return verify_rng_file(path)
    if 'module' not in meta:  # model_*.safetensors: `ablate model --expect` checks it
        print('skip %s: no module metadata (a whole-model golden)' % os.path.basename(path))
        return True
    if meta['module'] in DLKA_MODULES:
        return verify_dlka_file(path)
    if meta['module'] in HEADS:
        return verify_head_file(path)
    kv = parse_kv(meta['args'].split())
    if 'bn_eps' in MODULE_KEYS[meta['module'].lower()]:  # DYConv2d/DynamicConv have no BN
        kv['bn_eps'] = meta['bn_eps']
    m, _ = build_module(meta['module'], kv)
    sd = {k: v for k, v in t.items() if k not in ('x', 'y')}
    m.load_state_dict(sd, strict=True)
    with torch.no_grad():
        y = m(t['x'])
    ok, msg = port_agrees(y, t['y'])
    spec = {'AKConv': akconv_spec_forward,
            'ACmix': lambda kv, sd, x: acmix_spec(resolve_args('ACmix', kv), sd, x),
            'Bottleneck': bottleneck_spec_forward, 'C2f': c2f_spec_forward,
            'SPPF': sppf_spec_forward}.get(meta['module'],
                                                                            conv_spec_forward)
    if meta['module'] == 'DCNv3':
        spec = lambda kv, sd, x: dcnv3_spec(resolve_args('DCNv3', kv), sd, x)
    if meta['module'] in DYN_SPECS:
        spec = lambda kv, sd, x: DYN_SPECS[meta['module']](
            resolve_args(meta['module'], kv), sd, x)
    if meta['module'] in GHOST_SPECS:
        spec = lambda kv, sd, x: GHOST_SPECS[meta['module']](
            resolve_args(meta['module'], kv), sd, x)
    ys = spec(kv, sd, t['x'])
    err = (abs(ys - t['y'].double().numpy()) / (1 + abs(ys))).max()
    ok = ok and err <= 1e-4
    msg += ', spec rel err %.2g' % err
    if meta['module'] == 'AKConv':
        margin, _ = border_stats(m, t['x'])
        ok = ok and margin >= BORDER_MARGIN
        msg += ', margin %.4f' % margin
    print('%s %s: %s' % ('ok  ' if ok else 'FAIL', os.path.basename(path), msg))
    return ok


def verify_dir(d):
    files = sorted(f for f in os.listdir(d) if f.endswith('.safetensors'))
    bad = [f for f in files if not verify_file(os.path.join(d, f))]
    print('%d files checked, %d failed' % (len(files), len(bad)))
    return 1 if bad else 0


def main(argv):
    if len(argv) == 3 and argv[1] == '--verify':
        return verify_dir(argv[2])
    if len(argv) == 2 and argv[1] == '--selftest':
        worst = dlka_selftest_worst_diff()
        print('deform_conv2d_dw vs loop: max |diff| %.3g' % worst)
        return 0 if worst < 1e-9 else 1
    if len(argv) < 2 or argv[1].startswith('-'):
        sys.stderr.write(__doc__)
        return 2
    torch.set_num_threads(1)
    write_all(argv[1], argv[2:])
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
