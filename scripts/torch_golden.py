#!/usr/bin/python3
"""Golden files for ablate's parity tests, computed by PyTorch.

Usage:
    /usr/bin/python3 scripts/torch_golden.py OUTDIR          write every case
    /usr/bin/python3 scripts/torch_golden.py OUTDIR MODULE.. write those modules' cases only
                                                            (e.g. GhostModule: leaves the others'
                                                            files untouched)
    /usr/bin/python3 scripts/torch_golden.py --verify DIR    re-check written files

Why this exists: the C forwards in kernels/ must agree with the PyTorch modules
they replace (MODULES.md 0.2).  This script holds PyTorch ports of those
modules with the official semantics, draws random weights and inputs, and
stores weights, input `x` and expected output `y` in one safetensors file per
case.  It runs on Debian's python3-torch 1.13 alone: no einops, no
safetensors package (the format is written by hand below).

The module code is imported by make_parity_case.py and torch_peer.py, so the
three scripts always agree on what "Conv" and "AKConv" mean.
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn as nn

from torch_acmix import ACmix, acmix_spec  # seed 001, kept in its own file
import torch_dyconv  # seeds 002/003: DYConv2d, DynamicConv (own file)
import torch_ghost  # seed 003: GhostModule, C2f_GhostModule_DynamicConv (own file)
import torch_dcnv3  # seed 004: DCNv3_pytorch (own file)
import torch_dlka_args  # seed 004: C3, deformable_LKA_Attention, C3_DCNv3_DLKA (torch_dlka.py)

BN_EPS_DEFAULT = 1e-5
BORDER_MARGIN = 1e-3  # MODULES.md 5.1: the AKConv sampler jumps at its clamp bounds


# --------------------------------------------------------------------------
# Modules
# --------------------------------------------------------------------------

def autopad(k, p=None, d=1):
    """ultralytics autopad: 'same' padding for odd k, dilation-aware."""
    if d > 1:
        k = d * (k - 1) + 1
    if p is None:
        p = k // 2
    return p


class Conv(nn.Module):
    """ultralytics Conv: Conv2d (no bias) + BatchNorm2d + SiLU."""

    def __init__(self, c1, c2, k=1, s=1, p=None, g=1, d=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, autopad(k, p, d), groups=g, dilation=d, bias=False)
        self.bn = nn.BatchNorm2d(c2)
        self.act = nn.SiLU() if act is True else (act if isinstance(act, nn.Module) else nn.Identity())

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    """ultralytics Bottleneck (MODULES.md 3.2), re-typed from nn/modules/block.py."""

    def __init__(self, c1, c2, shortcut=True, g=1, k=(3, 3), e=0.5):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, c_, k[0], 1)
        self.cv2 = Conv(c_, c2, k[1], 1, g=g)
        self.add = shortcut and c1 == c2

    def forward(self, x):
        return x + self.cv2(self.cv1(x)) if self.add else self.cv2(self.cv1(x))


class C2f(nn.Module):
    """ultralytics C2f (MODULES.md 3.3), re-typed from nn/modules/block.py."""

    def __init__(self, c1, c2, n=1, shortcut=False, g=1, e=0.5):
        super().__init__()
        self.c = int(c2 * e)
        self.cv1 = Conv(c1, 2 * self.c, 1, 1)
        self.cv2 = Conv((2 + n) * self.c, c2, 1)
        # ultralytics passes k=((3, 3), (3, 3)) (per-axis kernels); for square
        # kernels that is k=(3, 3), which this file's scalar autopad handles
        self.m = nn.ModuleList(Bottleneck(self.c, self.c, shortcut, g, k=(3, 3), e=1.0)
                               for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        y.extend(m(y[-1]) for m in self.m)
        return self.cv2(torch.cat(y, 1))


class AKConv(nn.Module):
    """AKConv ported from seed 000 (CV-ZhangXin/AKConv model.py).

    grid='ij' is the official torch.meshgrid default indexing; grid='xy' is
    the tutorial's indexing='xy' in all three meshgrids (MODULES.md 5.1 item 8).
    einops' rearrange is replaced by permute/reshape; the tutorial's clamp of
    the flat gather index is kept.  The no-op backward hook is dropped.
    """

    def __init__(self, inc, outc, num_param, stride=1, bias=None, grid='ij'):
        super().__init__()
        if grid not in ('ij', 'xy'):
            raise ValueError("AKConv: grid must be ij or xy")
        self.num_param = num_param
        self.stride = stride
        self.grid = grid
        self.conv = nn.Sequential(
            nn.Conv2d(inc, outc, kernel_size=(num_param, 1), stride=(num_param, 1), bias=bias),
            nn.BatchNorm2d(outc),
            nn.SiLU())
        self.p_conv = nn.Conv2d(inc, 2 * num_param, kernel_size=3, padding=1, stride=stride)
        nn.init.constant_(self.p_conv.weight, 0)

    def forward(self, x):
        offset = self.p_conv(x)
        N = offset.size(1) // 2
        p = self.get_p(offset)  # (b, 2N, h, w)
        p = p.contiguous().permute(0, 2, 3, 1)  # (b, h, w, 2N)
        q_lt = p.detach().floor()
        q_rb = q_lt + 1
        H1, W1 = x.size(2) - 1, x.size(3) - 1
        q_lt = torch.cat([q_lt[..., :N].clamp(0, H1), q_lt[..., N:].clamp(0, W1)], dim=-1).long()
        q_rb = torch.cat([q_rb[..., :N].clamp(0, H1), q_rb[..., N:].clamp(0, W1)], dim=-1).long()
        q_lb = torch.cat([q_lt[..., :N], q_rb[..., N:]], dim=-1)
        q_rt = torch.cat([q_rb[..., :N], q_lt[..., N:]], dim=-1)
        p = torch.cat([p[..., :N].clamp(0, H1), p[..., N:].clamp(0, W1)], dim=-1)

        g_lt = (1 + (q_lt[..., :N].type_as(p) - p[..., :N])) * (1 + (q_lt[..., N:].type_as(p) - p[..., N:]))
        g_rb = (1 - (q_rb[..., :N].type_as(p) - p[..., :N])) * (1 - (q_rb[..., N:].type_as(p) - p[..., N:]))
        g_lb = (1 + (q_lb[..., :N].type_as(p) - p[..., :N])) * (1 - (q_lb[..., N:].type_as(p) - p[..., N:]))
        g_rt = (1 - (q_rt[..., :N].type_as(p) - p[..., :N])) * (1 + (q_rt[..., N:].type_as(p) - p[..., N:]))

        x_offset = g_lt.unsqueeze(dim=1) * self._get_x_q(x, q_lt, N) + \
            g_rb.unsqueeze(dim=1) * self._get_x_q(x, q_rb, N) + \
            g_lb.unsqueeze(dim=1) * self._get_x_q(x, q_lb, N) + \
            g_rt.unsqueeze(dim=1) * self._get_x_q(x, q_rt, N)
        return self.conv(self._reshape_x_offset(x_offset))

    def _get_p_n(self, N, dtype):
        """Initial sampled shape: rows of round(sqrt(N)) points, remainder below."""
        base_int = round(math.sqrt(self.num_param))
        row_number = self.num_param // base_int
        mod_number = self.num_param % base_int
        p_n_x, p_n_y = torch.meshgrid(torch.arange(0, row_number), torch.arange(0, base_int),
                                      indexing=self.grid)
        p_n_x, p_n_y = torch.flatten(p_n_x), torch.flatten(p_n_y)
        if mod_number > 0:
            mod_x, mod_y = torch.meshgrid(torch.arange(row_number, row_number + 1),
                                          torch.arange(0, mod_number), indexing=self.grid)
            p_n_x = torch.cat((p_n_x, torch.flatten(mod_x)))
            p_n_y = torch.cat((p_n_y, torch.flatten(mod_y)))
        return torch.cat([p_n_x, p_n_y], 0).view(1, 2 * N, 1, 1).to(dtype)

    def _get_p_0(self, h, w, N, dtype):
        """Base positions, no padding.  With 'xy' the meshgrid is (w, h) shaped
        and is *reinterpreted* as (h, w) by view(): transposed when h == w,
        scrambled otherwise (this is the tutorial's behaviour, kept on purpose)."""
        p_0_x, p_0_y = torch.meshgrid(torch.arange(0, h * self.stride, self.stride),
                                      torch.arange(0, w * self.stride, self.stride),
                                      indexing=self.grid)
        p_0_x = torch.flatten(p_0_x).view(1, 1, h, w).repeat(1, N, 1, 1)
        p_0_y = torch.flatten(p_0_y).view(1, 1, h, w).repeat(1, N, 1, 1)
        return torch.cat([p_0_x, p_0_y], 1).to(dtype)

    def get_p(self, offset):
        """Sampling coordinates (b, 2N, h, w): rows in channels [0,N), columns in [N,2N)."""
        N, h, w = offset.size(1) // 2, offset.size(2), offset.size(3)
        return self._get_p_0(h, w, N, offset.dtype) + self._get_p_n(N, offset.dtype) + offset

    @staticmethod
    def _get_x_q(x, q, N):
        b, h, w, _ = q.size()
        padded_w = x.size(3)
        c = x.size(1)
        x = x.contiguous().view(b, c, -1)
        index = q[..., :N] * padded_w + q[..., N:]
        index = index.contiguous().unsqueeze(dim=1).expand(-1, c, -1, -1, -1).contiguous().view(b, c, -1)
        index = index.clamp(min=0, max=x.shape[-1] - 1)
        return x.gather(dim=-1, index=index).contiguous().view(b, c, h, w, N)

    @staticmethod
    def _reshape_x_offset(x_offset):
        """einops 'b c h w n -> b c (h n) w'."""
        b, c, h, w, n = x_offset.size()
        return x_offset.permute(0, 1, 2, 4, 3).reshape(b, c, h * n, w)


# --------------------------------------------------------------------------
# Building modules from key=value arguments
# --------------------------------------------------------------------------

# Accepted keys per module with their defaults (None = required).  Both the
# golden metadata ("c1=4 c2=8 k=3 ...") and the harness's canonical CSV args
# ("c1=64:c2=128:k=3:s=2:p=-1:...:bn_eps=1e-05") parse through this table.
MODULE_KEYS = {
    'conv': {'c1': None, 'c2': None, 'k': 1, 's': 1, 'p': -1, 'g': 1, 'd': 1, 'act': 1,
             'bn_eps': BN_EPS_DEFAULT},
    'akconv': {'inc': None, 'outc': None, 'num_param': None, 'stride': 1, 'bias': 0,
               'grid': 'ij', 'bn_eps': BN_EPS_DEFAULT},
    'acmix': {'in_planes': None, 'out_planes': None, 'kernel_att': 7, 'head': 4, 'kernel_conv': 3,
              'stride': 1, 'dilation': 1, 'bn_eps': BN_EPS_DEFAULT},
    'bottleneck': {'c1': None, 'c2': None, 'shortcut': 1, 'g': 1, 'k': 3, 'e': 0.5,
                   'bn_eps': BN_EPS_DEFAULT},
    'c2f': {'c1': None, 'c2': None, 'n': 1, 'shortcut': 0, 'g': 1, 'e': 0.5,
            'bn_eps': BN_EPS_DEFAULT},
    'sppf': {'c1': None, 'c2': None, 'k': 5, 'bn_eps': BN_EPS_DEFAULT},
}
MODULE_KEYS.update(torch_dyconv.DYN_MODULE_KEYS)
MODULE_KEYS.update(torch_ghost.GHOST_MODULE_KEYS)
MODULE_KEYS['c2f_dynamicconv'] = torch_ghost.GHOST_MODULE_KEYS['c2f_ghostmodule_dynamicconv']
MODULE_KEYS.update(torch_dcnv3.DCNV3_MODULE_KEYS)
MODULE_KEYS.update(torch_dlka_args.DLKA_MODULE_KEYS)
MODULE_NAMES = {'conv': 'Conv', 'akconv': 'AKConv', 'acmix': 'ACmix', 'bottleneck': 'Bottleneck', 'sppf': 'SPPF',
                'c2f': 'C2f'}
MODULE_NAMES.update(torch_dyconv.DYN_MODULE_NAMES)
MODULE_NAMES.update(torch_ghost.GHOST_MODULE_NAMES)
MODULE_NAMES.update(torch_dcnv3.DCNV3_MODULE_NAMES)
MODULE_NAMES.update(torch_dlka_args.DLKA_MODULE_NAMES)


def parse_kv(items):
    """['a=1', 'b=x'] -> {'a': '1', 'b': 'x'}; a malformed item raises ValueError."""
    kv = {}
    for it in items:
        if '=' not in it:
            raise ValueError("expected key=value, got %r" % it)
        k, v = it.split('=', 1)
        kv[k.strip()] = v.strip()
    return kv


def resolve_args(module, kv):
    """Typed, complete argument dict for `module`; unknown or missing keys raise
    ValueError so a caller never silently benchmarks something else."""
    name = module.lower()
    if name not in MODULE_KEYS:
        raise ValueError("unknown module %r" % module)
    spec = MODULE_KEYS[name]
    unknown = set(kv) - set(spec)
    if unknown:
        raise ValueError("%s: unknown argument(s) %s" % (module, ', '.join(sorted(unknown))))
    # per module: DYConv2d's ratio is a float, Ghost's an int
    if name in torch_ghost.GHOST_MODULE_KEYS:
        types = torch_ghost.GHOST_ARG_TYPES
    elif name in torch_dcnv3.DCNV3_MODULE_KEYS:
        types = torch_dcnv3.DCNV3_ARG_TYPES
    elif name in torch_dlka_args.DLKA_MODULE_KEYS:
        types = torch_dlka_args.DLKA_ARG_TYPES
    else:
        types = torch_dyconv.DYN_ARG_TYPES
    out = {}
    for key, default in spec.items():
        raw = kv.get(key, default)
        if raw is None:
            raise ValueError("%s: missing argument %s" % (module, key))
        if key in types:
            out[key] = types[key](raw)
            continue
        out[key] = raw if key == 'grid' else (float(raw) if key in ('bn_eps', 'e') else int(raw))
    return out


def build_module(module, kv):
    """Returns (torch module in eval mode, number of input channels)."""
    a = resolve_args(module, kv)
    dyn = torch_dyconv.build_dynamic(module.lower(), a) or torch_ghost.build_ghost(module.lower(), a)
    dyn = dyn or torch_dcnv3.build_dcnv3(module.lower(), a)
    dyn = dyn or torch_dlka_args.build_dlka(module.lower(), a)
    if dyn:
        m, c_in = dyn
    elif module.lower() == 'conv':
        m = Conv(a['c1'], a['c2'], a['k'], a['s'], None if a['p'] < 0 else a['p'],
                 a['g'], a['d'], act=bool(a['act']))
        c_in = a['c1']
    elif module.lower() == 'acmix':
        m = ACmix(a['in_planes'], a['out_planes'], a['kernel_att'], a['head'], a['kernel_conv'],
                  a['stride'], a['dilation'])
        c_in = a['in_planes']
    elif module.lower() == 'bottleneck':
        m = Bottleneck(a['c1'], a['c2'], bool(a['shortcut']), a['g'], (a['k'], a['k']), a['e'])
        c_in = a['c1']
    elif module.lower() == 'c2f':
        m = C2f(a['c1'], a['c2'], a['n'], bool(a['shortcut']), a['g'], a['e'])
        c_in = a['c1']
    elif module.lower() == 'sppf':
        from torch_model_golden import SPPF  # the whole-model script's re-typing (MODULES.md 3.5)
        m = SPPF(a['c1'], a['c2'], a['k'])
        c_in = a['c1']
    else:
        m = AKConv(a['inc'], a['outc'], a['num_param'], a['stride'], bias=bool(a['bias']),
                   grid=a['grid'])
        c_in = a['inc']
    for sub in m.modules():
        if isinstance(sub, nn.BatchNorm2d):
            sub.eps = a['bn_eps']
    return m.eval(), c_in


# --------------------------------------------------------------------------
# Random weights
# --------------------------------------------------------------------------

def _randn(shape, gen, scale=1.0):
    return torch.randn(shape, generator=gen, dtype=torch.float32) * scale


def _uniform(shape, gen, lo, hi):
    return lo + (hi - lo) * torch.rand(shape, generator=gen, dtype=torch.float32)


def randomize_weights(m, gen):
    """Random conv weights (1/sqrt(fan_in) scale) and BN statistics that are far
    from identity, so a wrong eps or a skipped BN shows.  Offset predictors
    (AKConv.p_conv) are left to randomize_offsets()."""
    skip = {id(m.p_conv)} if isinstance(m, AKConv) else set()
    with torch.no_grad():
        for sub in m.modules():
            if id(sub) in skip:
                continue
            if isinstance(sub, nn.Conv2d):
                fan_in = sub.weight[0].numel()
                sub.weight.copy_(_randn(sub.weight.shape, gen, 1.0 / math.sqrt(fan_in)))
                if sub.bias is not None:
                    sub.bias.copy_(_randn(sub.bias.shape, gen, 0.5))
            elif isinstance(sub, nn.BatchNorm2d):
                c = sub.num_features
                sub.weight.copy_(_uniform(c, gen, 0.5, 1.5))
                sub.bias.copy_(_randn(c, gen, 0.5))
                sub.running_mean.copy_(_randn(c, gen, 0.5))
                sub.running_var.copy_(_uniform(c, gen, 0.5, 2.0))
        if isinstance(m, ACmix):  # the mix weights too, so neither branch is a plain half
            m.rate1.copy_(_uniform(1, gen, 0.3, 1.2))
            m.rate2.copy_(_uniform(1, gen, 0.3, 1.2))
    torch_dyconv.randomize_dynamic(m, gen)
    torch_ghost.randomize_ghost(m, gen)
    torch_dcnv3.randomize_dcnv3(m, gen)


def randomize_offsets(m, gen, scale):
    """AKConv.p_conv weights such that, for x ~ N(0,1), each offset is roughly
    N(bias, scale^2): `scale` is the typical offset in pixels."""
    if not isinstance(m, AKConv):
        return
    w = m.p_conv.weight
    with torch.no_grad():
        w.copy_(_randn(w.shape, gen, scale / math.sqrt(w[0].numel())))
        m.p_conv.bias.copy_(_randn(m.p_conv.bias.shape, gen, 0.5 * scale))


def randomize_module(m, gen, offset_scale):
    """Weights and offset predictors as the goldens draw them: the D-LKA
    family by torch_dlka's rule (offsets of about offset_scale pixels), the
    others by randomize_weights, then AKConv's offsets."""
    if torch_dlka_args.is_dlka(m):
        torch_dlka_args.randomize_dlka(m, gen, offset_scale)
        return
    randomize_weights(m, gen)
    randomize_offsets(m, gen, offset_scale)


def sampling_coords(m, x):
    """AKConv's unclamped sampling coordinates p, (b, 2N, Ho, Wo)."""
    with torch.no_grad():
        return m.get_p(m.p_conv(x))


def border_stats(m, x):
    """(smallest distance of any coordinate to its clamp bounds, fraction of
    coordinates outside the map).  MODULES.md 5.1: the sampler is
    discontinuous at 0 and H-1 (W-1), so parity inputs keep away from them."""
    p = sampling_coords(m, x).double()
    N = p.size(1) // 2
    rows, cols = p[:, :N], p[:, N:]
    H1, W1 = x.size(2) - 1, x.size(3) - 1
    margin = min(rows.abs().min().item(), (rows - H1).abs().min().item(),
                 cols.abs().min().item(), (cols - W1).abs().min().item())
    outside = ((rows < 0) | (rows > H1)).sum().item() + ((cols < 0) | (cols > W1)).sum().item()
    return margin, outside / (2.0 * rows.numel())


def make_case(module, kv, batch, h, w, seed, offset_scale):
    """Builds and randomizes one case.  For AKConv the offset weights are
    re-drawn with a new seed until every coordinate clears the clamp bounds by
    BORDER_MARGIN; for the D-LKA family offset_scale is the typical offset in
    pixels (torch_dlka.randomize).  Returns (module, x, y, info dict)."""
    m, c_in = build_module(module, kv)
    gen = torch.Generator().manual_seed(seed)
    dlka = torch_dlka_args.is_dlka(m)
    if dlka:  # torch_dlka's draw, as its goldens: weights and offsets at once
        torch_dlka_args.randomize_dlka(m, gen, offset_scale)
    else:
        randomize_weights(m, gen)
    x = _randn((batch, c_in, h, w), gen)
    info = {'seed': seed}
    if dlka:  # [(layer, fraction of samples off the map, fraction crossing its border)]
        info['layers'] = torch_dlka_args.border_stats(m, x)
    elif isinstance(m, torch_dcnv3.DCNv3_pytorch):
        info['layers'] = [('dcnv3',) + torch_dcnv3.sample_stats(m, x)]
    if isinstance(m, AKConv):
        for attempt in range(1000):
            off_seed = seed * 1000 + attempt
            randomize_offsets(m, torch.Generator().manual_seed(off_seed), offset_scale)
            margin, outside = border_stats(m, x)
            if margin >= BORDER_MARGIN:
                break
        else:
            raise RuntimeError("%s %s: no offsets clear the border margin" % (module, kv))
        info.update(offset_seed=off_seed, margin=margin, outside=outside)
    with torch.no_grad():
        y = m(x)
    return m, x, y, info


# --------------------------------------------------------------------------
# safetensors, by hand
# --------------------------------------------------------------------------

_DTYPES = {torch.float32: ('F32', 4), torch.int64: ('I64', 8)}
_DTYPES_BACK = {'F32': torch.float32, 'I64': torch.int64}


def write_safetensors(path, tensors, metadata=None):
    """8-byte LE header length, JSON header padded with spaces to a multiple of
    8, then raw LE data.  8-byte dtypes go first so every tensor is aligned to
    its element size (as the reference writer does)."""
    names = sorted(tensors, key=lambda n: -_DTYPES[tensors[n].dtype][1])
    header, blobs, pos = {}, [], 0
    for n in names:
        t = tensors[n].detach().contiguous().cpu()
        dname, _ = _DTYPES[t.dtype]
        data = t.numpy().astype(t.numpy().dtype.newbyteorder('<')).tobytes()
        header[n] = {'dtype': dname, 'shape': list(t.shape), 'data_offsets': [pos, pos + len(data)]}
        blobs.append(data)
        pos += len(data)
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    hdr = json.dumps(header, separators=(',', ':')).encode()
    hdr += b' ' * (-len(hdr) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(hdr)))
        f.write(hdr)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_safetensors(path):
    """Returns ({name: tensor}, metadata dict)."""
    import numpy as np
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__', {})
    base = 8 + n
    out = {}
    for name, e in header.items():
        b, end = e['data_offsets']
        npdt = {'F32': '<f4', 'I64': '<i8'}[e['dtype']]
        arr = np.frombuffer(raw[base + b:base + end], dtype=npdt).reshape(e['shape'])
        out[name] = torch.from_numpy(arr.copy())
    return out, meta


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


def state_tensors(m):
    """Every state_dict tensor under its PyTorch key (float32 / int64)."""
    return {k: v.detach().clone() for k, v in m.state_dict().items()}


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
    stem = torch_ghost.GHOST_FILE_PREFIX.get(module, module.lower())
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
    ('DYConv2d', torch_dyconv.DYCONV_CASES, 900),
    ('DynamicConv', torch_dyconv.DYNAMICCONV_CASES, 1000),
    ('GhostModule', torch_ghost.GHOST_CASES, 1100),
    ('C2f_GhostModule_DynamicConv', torch_ghost.C2F_GHOST_CASES, 1200),
    ('DCNv3', torch_dcnv3.DCNV3_CASES, 1100),
    ('SPPF', SPPF_CASES, 1300),  # 1100 as first written: the files stay byte-identical
]


def write_all(outdir, only=None):
    """Writes every module's cases, or only those of the modules named in
    `only` (names as MODULE_NAMES spells them, any case)."""
    os.makedirs(outdir, exist_ok=True)
    import torch_detect  # Detect, DetectV5: one input per level, own file, own cases
    heads = {n.lower(): n for n in torch_detect.MODULES}
    wanted = {heads.get(n.lower(), MODULE_NAMES.get(n.lower(), n)) for n in only} if only else None
    unknown = wanted - {name for name, _, _ in ALL_CASES} - set(heads.values()) if wanted else set()
    if unknown:
        raise ValueError('no golden cases for %s' % ', '.join(sorted(unknown)))
    paths = []
    for module, cases, seed0 in ALL_CASES:
        if wanted is None or module in wanted:
            for i, case in enumerate(cases):
                paths.append(write_case(outdir, module, case, seed0 + i))
    paths += torch_detect.write_all(outdir, wanted)
    total = sum(os.path.getsize(p) for p in paths)
    print('%d files, %d bytes in all' % (len(paths), total))
    import torch_dlka  # C3, deformable_LKA_Attention, C3_DCNv3_DLKA: own file, own cases
    torch_dlka.write_all(outdir)


# --------------------------------------------------------------------------
# Verification: re-load, re-run, and compare against MODULES.md 5.1 scalar steps
# --------------------------------------------------------------------------

def akconv_spec_forward(kv, sd, x):
    """AKConv written from MODULES.md 5.1 steps 2-8, independently of the port
    above (float32 coordinates, float64 arithmetic).  p_conv is taken from
    torch since it is a plain convolution."""
    import numpy as np
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


def verify_file(path):
    """Rebuilds the module from the file's metadata, reloads its weights and
    checks y (bit-exact for the port, 1e-4*(1+|y|) for the spec version)."""
    t, meta = read_safetensors(path)
    if 'module' not in meta:  # model_*.safetensors: `ablate model --expect` checks it
        print('skip %s: no module metadata (a whole-model golden)' % os.path.basename(path))
        return True
    import torch_dlka  # its modules are checked by their own file
    import torch_detect
    if meta['module'] in torch_dlka.MODULES:
        return torch_dlka.verify_file(path)
    if meta['module'] in torch_detect.MODULES:
        return torch_detect.verify_file(path)
    kv = parse_kv(meta['args'].split())
    if 'bn_eps' in MODULE_KEYS[meta['module'].lower()]:  # DYConv2d/DynamicConv have no BN
        kv['bn_eps'] = meta['bn_eps']
    m, _ = build_module(meta['module'], kv)
    sd = {k: v for k, v in t.items() if k not in ('x', 'y')}
    m.load_state_dict(sd, strict=True)
    with torch.no_grad():
        y = m(t['x'])
    exact = torch.equal(y, t['y'])
    msg = 'bit-exact' if exact else 'max|dy| %.3g' % (y - t['y']).abs().max().item()
    ok = exact
    spec = {'AKConv': akconv_spec_forward,
            'ACmix': lambda kv, sd, x: acmix_spec(resolve_args('ACmix', kv), sd, x),
            'Bottleneck': bottleneck_spec_forward, 'C2f': c2f_spec_forward}.get(meta['module'],
                                                                            conv_spec_forward)
    if meta['module'] == 'DCNv3':
        spec = lambda kv, sd, x: torch_dcnv3.dcnv3_spec(resolve_args('DCNv3', kv), sd, x)
    if meta['module'] in torch_dyconv.DYN_SPECS:
        spec = lambda kv, sd, x: torch_dyconv.DYN_SPECS[meta['module']](
            resolve_args(meta['module'], kv), sd, x)
    if meta['module'] in torch_ghost.GHOST_SPECS:
        spec = lambda kv, sd, x: torch_ghost.GHOST_SPECS[meta['module']](
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
    if len(argv) < 2 or argv[1].startswith('-'):
        sys.stderr.write(__doc__)
        return 2
    torch.set_num_threads(1)
    write_all(argv[1], argv[2:])
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
