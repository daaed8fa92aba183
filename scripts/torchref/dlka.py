#!/usr/bin/python3
"""Golden files for C3, deformable_LKA_Attention and C3_DCNv3_DLKA (seed 004).

Usage (`make goldens` runs the first through torch_golden.py, whose
--verify hands these files to verify_file below):
    /usr/bin/python3 scripts/torch_dlka.py OUTDIR          write every case
    /usr/bin/python3 scripts/torch_dlka.py --verify DIR    re-check written files
    /usr/bin/python3 scripts/torch_dlka.py --selftest      gather sampler vs a plain loop

Why this exists: MODULES.md 3.4, 6.2 and 6.3 in PyTorch, for the parity tests
of kernels/c3.c, kernels/dlka.c and kernels/c3_dlka.c.  C3 and the seed's
C3_DCNv3_DLKA are re-typed from ultralytics / the seed (no ultralytics
install).  The official D-LKA uses torchvision's deform_conv2d, which
Debian's python3-torch 1.13 lacks; `deform_conv2d_dw` below is that
operator (depthwise, one offset group, no mask, no bias, MODULES.md 6.2
step 2) written with gathers, and --selftest checks it against a direct
per-pixel loop of the spec's formula.  The blog variant's DCNv3_pytorch is
imported from scripts/torch_dcnv3.py (the DCNv3 row's goldens), so both rows
agree on what DCNv3 means.
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_golden import Conv, _randn, _uniform, read_safetensors, write_safetensors

VARIANTS = ('blog', 'official', 'dcnv3_lka')
MODULES = ('C3', 'deformable_LKA_Attention', 'C3_DCNv3_DLKA')


def _dcnv3():
    """DCNv3_pytorch of the DCNv3 row (blog and dcnv3_lka variants only)."""
    from torch_dcnv3 import DCNv3_pytorch
    return DCNv3_pytorch


# --------------------------------------------------------------------------
# The official depthwise deformable convolution (torchvision semantics)
# --------------------------------------------------------------------------

def bilinear_t(img, y, x):
    """torchvision's bilinear sample: img (B,C,H,W), y/x (B,Ho,Wo) -> (B,C,Ho,Wo).
    0 when y <= -1, y >= H, x <= -1 or x >= W; otherwise zero-pad bilinear."""
    B, C, H, W = img.shape
    inside = (y > -1) & (y < H) & (x > -1) & (x < W)
    y0, x0 = torch.floor(y), torch.floor(x)
    ly, lx = y - y0, x - x0
    flat = img.reshape(B, C, H * W)
    out = torch.zeros(B, C, *y.shape[1:], dtype=img.dtype)
    for dy, dx, wt in ((0, 0, (1 - ly) * (1 - lx)), (0, 1, (1 - ly) * lx),
                       (1, 0, ly * (1 - lx)), (1, 1, ly * lx)):
        yy, xx = (y0 + dy).long(), (x0 + dx).long()
        ok = inside & (yy >= 0) & (yy < H) & (xx >= 0) & (xx < W)
        idx = (yy.clamp(0, H - 1) * W + xx.clamp(0, W - 1)).reshape(B, 1, -1).expand(B, C, -1)
        val = torch.gather(flat, 2, idx).reshape(out.shape)
        out = out + val * (wt * ok.to(img.dtype)).unsqueeze(1)
    return out


def deform_conv2d_dw(x, offset, weight, pad, dil):
    """MODULES.md 6.2 step 2: DW(x; off, w, k, pad, dil), stride 1, 'same' size."""
    B, C, H, W = x.shape
    k = weight.shape[-1]
    oh = torch.arange(H, dtype=x.dtype).view(1, H, 1)
    ow = torch.arange(W, dtype=x.dtype).view(1, 1, W)
    y = torch.zeros_like(x)
    for i in range(k):
        for j in range(k):
            t = i * k + j
            ys = oh - pad + i * dil + offset[:, 2 * t]
            xs = ow - pad + j * dil + offset[:, 2 * t + 1]
            y = y + weight[:, 0, i, j].view(1, C, 1, 1) * bilinear_t(x, ys, xs)
    return y


def deform_conv2d_dw_loop(x, offset, weight, pad, dil):
    """The same, one output element at a time in float64: the --selftest oracle."""
    B, C, H, W = x.shape
    k = weight.shape[-1]
    xd, od, wd = x.double(), offset.double(), weight.double()
    y = torch.zeros(B, C, H, W, dtype=torch.float64)

    def bil(b, c, py, px):
        if py <= -1 or py >= H or px <= -1 or px >= W:
            return 0.0
        y0, x0 = math.floor(py), math.floor(px)
        ly, lx, v = py - y0, px - x0, 0.0
        for yy, xx, wt in ((y0, x0, (1 - ly) * (1 - lx)), (y0, x0 + 1, (1 - ly) * lx),
                           (y0 + 1, x0, ly * (1 - lx)), (y0 + 1, x0 + 1, ly * lx)):
            if 0 <= yy < H and 0 <= xx < W:
                v += wt * xd[b, c, yy, xx].item()
        return v

    for b in range(B):
        for c in range(C):
            for oh in range(H):
                for ow in range(W):
                    s = 0.0
                    for i in range(k):
                        for j in range(k):
                            t = i * k + j
                            py = oh - pad + i * dil + od[b, 2 * t, oh, ow].item()
                            px = ow - pad + j * dil + od[b, 2 * t + 1, oh, ow].item()
                            s += wd[c, 0, i, j].item() * bil(b, c, py, px)
                    y[b, c, oh, ow] = s
    return y


class DeformConv2dDW(nn.Module):
    """Stand-in for torchvision.ops.DeformConv2d(C, C, k, groups=C, bias=False):
    same state_dict (`weight` (C,1,k,k)), same forward."""

    def __init__(self, c, k, pad, dil):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(c, 1, k, k))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        self.pad, self.dil = pad, dil

    def forward(self, x, offset):
        return deform_conv2d_dw(x, offset, self.weight, self.pad, self.dil)


class DeformConvOfficial(nn.Module):
    """xmindflow deformableLKA DeformConv: offset_net (full Conv2d with bias) +
    depthwise deformable conv."""

    def __init__(self, c, k, pad, dil):
        super().__init__()
        self.offset_net = nn.Conv2d(c, 2 * k * k, k, padding=pad, dilation=dil, bias=True)
        self.deform_conv = DeformConv2dDW(c, k, pad, dil)

    def forward(self, x):
        return self.deform_conv(x, self.offset_net(x))


class DeformConvDCNv3(nn.Module):
    """The seed's DeformConv: a DCNv3_pytorch under `deform_conv`."""

    def __init__(self, c, **kw):
        super().__init__()
        self.deform_conv = _dcnv3()(c, **kw)

    def forward(self, x):
        return self.deform_conv(x)


class DeformableLKA(nn.Module):
    def __init__(self, dim, variant):
        super().__init__()
        if variant == 'official':
            self.conv0 = DeformConvOfficial(dim, 5, 2, 1)
            self.conv_spatial = DeformConvOfficial(dim, 7, 9, 3)
        elif variant == 'blog':
            self.conv0 = DeformConvDCNv3(dim)
            self.conv_spatial = DeformConvDCNv3(dim)
        else:  # dcnv3_lka: the kernel/padding/dilation the blog's signature asks for
            self.conv0 = DeformConvDCNv3(dim, kernel_size=5, pad=2)
            self.conv_spatial = DeformConvDCNv3(dim, kernel_size=7, pad=9, dilation=3)
        self.conv1 = nn.Conv2d(dim, dim, 1)

    def forward(self, x):
        u = x.clone()
        attn = self.conv_spatial(self.conv0(x))
        return u * self.conv1(attn)


class DeformableLKAAttention(nn.Module):
    """deformable_LKA_Attention(d_model), MODULES.md 6.2."""

    def __init__(self, d_model, variant='blog'):
        super().__init__()
        self.proj_1 = nn.Conv2d(d_model, d_model, 1)
        self.activation = nn.GELU()
        self.spatial_gating_unit = DeformableLKA(d_model, variant)
        self.proj_2 = nn.Conv2d(d_model, d_model, 1)

    def forward(self, x):
        s = x.clone()
        x = self.spatial_gating_unit(self.activation(self.proj_1(x)))
        return self.proj_2(x) + s


# --------------------------------------------------------------------------
# C3 (ultralytics) and C3_DCNv3_DLKA (seed 004)
# --------------------------------------------------------------------------

class C3Bottleneck(nn.Module):
    """Bottleneck(c_, c_, shortcut, g, k=(1, 3), e=1.0), with the seed's
    Dattention after cv2 when `variant` is given."""

    def __init__(self, c, shortcut, g, variant=None):
        super().__init__()
        self.cv1 = Conv(c, c, 1, 1)
        self.cv2 = Conv(c, c, 3, 1, g=g)
        if variant is not None:
            self.Dattention = DeformableLKAAttention(c, variant)
        self.att = variant is not None
        self.add = shortcut

    def forward(self, x):
        t = self.cv2(self.cv1(x))
        if self.att:
            t = self.Dattention(t)
        return x + t if self.add else t


class C3(nn.Module):
    """ultralytics C3 (MODULES.md 3.4); C3_DCNv3_DLKA (6.3) with a variant."""

    def __init__(self, c1, c2, n=1, shortcut=True, g=1, e=0.5, variant=None):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c1, c_, 1, 1)
        self.cv3 = Conv(2 * c_, c2, 1)
        self.m = nn.Sequential(*(C3Bottleneck(c_, shortcut, g, variant) for _ in range(n)))

    def forward(self, x):
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

def parse_args(module, text):
    kv = dict(it.split('=', 1) for it in text.split())
    num = lambda k, d: float(kv.get(k, d)) if k == 'e' else int(kv.get(k, d))
    if module == 'deformable_LKA_Attention':
        return DeformableLKAAttention(int(kv['d_model']), kv.get('variant', 'blog')), int(kv['d_model'])
    variant = kv.get('variant', 'blog') if module == 'C3_DCNv3_DLKA' else None
    m = C3(int(kv['c1']), int(kv['c2']), num('n', 1), bool(num('shortcut', 1)), num('g', 1),
           num('e', 0.5), variant)
    return m, int(kv['c1'])


def randomize(m, gen, offset_px):
    """Weights of 1/sqrt(fan_in) scale, BN statistics far from identity, and
    offset predictors giving offsets of about `offset_px` pixels."""
    with torch.no_grad():
        for name, sub in m.named_modules():
            if isinstance(sub, (nn.Conv2d, nn.Linear, DeformConv2dDW)):
                fan_in = sub.weight[0].numel()
                scale = 1.0 / math.sqrt(fan_in)
                if name.endswith('offset_net') or name.endswith('.offset'):
                    scale *= offset_px
                sub.weight.copy_(_randn(sub.weight.shape, gen, scale))
                if getattr(sub, 'bias', None) is not None:
                    sub.bias.copy_(_randn(sub.bias.shape, gen, 0.5))
            elif isinstance(sub, (nn.BatchNorm2d, nn.LayerNorm)):
                c = sub.weight.numel()
                sub.weight.copy_(_uniform(c, gen, 0.5, 1.5))
                sub.bias.copy_(_randn(c, gen, 0.5))
                if isinstance(sub, nn.BatchNorm2d):
                    sub.running_mean.copy_(_randn(c, gen, 0.5))
                    sub.running_var.copy_(_uniform(c, gen, 0.5, 2.0))


def _c(module, name, args, h, w, batch=1, offset_px=2.0):
    return {'module': module, 'name': name, 'args': args, 'h': h, 'w': w, 'batch': batch,
            'offset_px': offset_px}


DL = 'deformable_LKA_Attention'
CASES = [
    _c('C3', 'c3_n1_8x10', 'c1=4 c2=6 n=1', 8, 10),
    _c('C3', 'c3_n2_noshort_7x9', 'c1=5 c2=8 n=2 shortcut=0', 7, 9),
    _c('C3', 'c3_n1_b2_6x5', 'c1=4 c2=4 n=1', 6, 5, batch=2),
    _c('C3', 'c3_n2_g2_9x6', 'c1=6 c2=8 n=2 g=2', 9, 6),
    _c('C3', 'c3_n3_e1_1x9', 'c1=3 c2=4 n=3 e=1.0', 1, 9),
    _c(DL, 'dlka_official_c4_9x11', 'd_model=4 variant=official', 9, 11),
    _c(DL, 'dlka_official_c3_b2_7x6', 'd_model=3 variant=official', 7, 6, batch=2),
    _c(DL, 'dlka_official_c5_far_8x8', 'd_model=5 variant=official', 8, 8, offset_px=8.0),
    _c(DL, 'dlka_official_c2_2x13', 'd_model=2 variant=official', 2, 13),
    _c(DL, 'dlka_official_c6_12x5', 'd_model=6 variant=official', 12, 5),
    _c(DL, 'dlka_blog_c8_9x7', 'd_model=8 variant=blog', 9, 7),
    _c(DL, 'dlka_blog_c4_b2_6x8', 'd_model=4 variant=blog', 6, 8, batch=2),
    _c(DL, 'dlka_blog_c12_far_7x7', 'd_model=12 variant=blog', 7, 7, offset_px=6.0),
    _c(DL, 'dlka_dcnv3_lka_c8_10x9', 'd_model=8 variant=dcnv3_lka', 10, 9),
    _c('C3_DCNv3_DLKA', 'c3_dlka_official_8x9', 'c1=6 c2=8 n=1 shortcut=0 variant=official', 8, 9),
    _c('C3_DCNv3_DLKA', 'c3_dlka_official_short_b2_6x7',
       'c1=4 c2=6 n=1 shortcut=1 variant=official', 6, 7, batch=2),
    _c('C3_DCNv3_DLKA', 'c3_dlka_blog_9x8', 'c1=6 c2=16 n=1 shortcut=0 variant=blog', 9, 8),
    _c('C3_DCNv3_DLKA', 'c3_dlka_blog_short_g2_7x10',
       'c1=8 c2=8 n=1 shortcut=1 g=2 variant=blog', 7, 10),
]


def needs_dcnv3(case):
    return 'variant=blog' in case['args'] or 'variant=dcnv3_lka' in case['args']


def have_dcnv3():
    try:
        _dcnv3()
        return True
    except ImportError:
        return False


def write_case(outdir, case, seed):
    m, c_in = parse_args(case['module'], case['args'])
    gen = torch.Generator().manual_seed(seed)
    randomize(m, gen, case['offset_px'])
    m.eval()
    x = _randn((case['batch'], c_in, case['h'], case['w']), gen)
    with torch.no_grad():
        y = m(x)
    tensors = {k: v.detach().clone() for k, v in m.state_dict().items()}
    tensors['x'], tensors['y'] = x, y
    meta = {'module': case['module'], 'args': case['args'], 'bn_eps': '1e-05', 'seed': str(seed),
            'case': '%s, batch %d, %dx%d input' % (case['name'], case['batch'], case['h'], case['w'])}
    path = os.path.join(outdir, case['name'] + '.safetensors')
    write_safetensors(path, tensors, meta)
    print('wrote %s  x%s -> y%s' % (path, tuple(x.shape), tuple(y.shape)))


def write_all(outdir):
    os.makedirs(outdir, exist_ok=True)
    dcn = have_dcnv3()
    for i, case in enumerate(CASES):
        if needs_dcnv3(case) and not dcn:
            print('skipped %s: scripts/torch_dcnv3.py (DCNv3_pytorch) not there yet' % case['name'])
            continue
        write_case(outdir, case, 1100 + i)


def verify_file(path):
    """Reload, re-run: bit-exact against the file's y."""
    t, meta = read_safetensors(path)
    m, _ = parse_args(meta['module'], meta['args'])
    m.load_state_dict({k: v for k, v in t.items() if k not in ('x', 'y')}, strict=True)
    with torch.no_grad():
        y = m.eval()(t['x'])
    ok = torch.equal(y, t['y'])
    print('%s %s' % ('ok  ' if ok else 'FAIL', os.path.basename(path)))
    return ok


def selftest():
    """The gather sampler against the per-element loop, offsets reaching past
    every border (MODULES.md 6.2 bilT)."""
    gen = torch.Generator().manual_seed(7)
    worst = 0.0
    for (k, pad, dil, scale) in ((5, 2, 1, 2.0), (7, 9, 3, 4.0), (3, 1, 1, 6.0)):
        x = _randn((2, 3, 6, 7), gen)
        off = _randn((2, 2 * k * k, 6, 7), gen, scale)
        w = _randn((3, 1, k, k), gen)
        a = deform_conv2d_dw(x.double(), off.double(), w.double(), pad, dil)
        b = deform_conv2d_dw_loop(x, off, w, pad, dil)
        worst = max(worst, (a - b).abs().max().item())
    print('deform_conv2d_dw vs loop: max |diff| %.3g' % worst)
    return 0 if worst < 1e-9 else 1


def main(argv):
    if len(argv) == 2 and argv[1] == '--selftest':
        return selftest()
    if len(argv) == 3 and argv[1] == '--verify':
        files = sorted(f for f in os.listdir(argv[2]) if f.startswith(('c3_', 'dlka_', 'c3_dlka_'))
                       and f.endswith('.safetensors'))
        bad = [f for f in files if not verify_file(os.path.join(argv[2], f))]
        print('%d files checked, %d failed' % (len(files), len(bad)))
        return 1 if bad else 0
    if len(argv) != 2 or argv[1].startswith('-'):
        sys.stderr.write(__doc__)
        return 2
    torch.set_num_threads(1)
    write_all(argv[1])
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
