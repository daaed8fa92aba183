"""C3, deformable_LKA_Attention and C3_DCNv3_DLKA (seed 004) under ablate's
argument names: the modules, their golden cases and random draw, and how
many samples leave the map.

MODULES.md 3.4, 6.2 and 6.3 in PyTorch, for the parity tests of
kernels/c3.c, kernels/dlka.c and kernels/c3_dlka.c.  C3 and the seed's
C3_DCNv3_DLKA are re-typed from ultralytics / the seed (no ultralytics
install).  The official D-LKA uses torchvision's deform_conv2d, which
Debian's python3-torch 1.13 lacks; `deform_conv2d_dw` below is that
operator (depthwise, one offset group, no mask, no bias, MODULES.md 6.2
step 2) written with gathers, and selftest_worst_diff (torch_golden.py
--selftest) checks it against a direct per-pixel loop of the spec's
formula.  The blog variant's DCNv3_pytorch is the DCNv3 row's (dcnv3.py),
so both rows agree on what DCNv3 means.  The arguments are those of
`ablate list` (kernels/c3.c, dlka.c, c3_dlka.c).
"""
import math

import torch
import torch.nn as nn

from .dcnv3 import DCNv3_pytorch, sample_stats
from .draw import randn, uniform
from .ultralytics import Conv

VARIANTS = ('blog', 'official', 'dcnv3_lka')
MODULES = ('C3', 'deformable_LKA_Attention', 'C3_DCNv3_DLKA')


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
        self.deform_conv = DCNv3_pytorch(c, **kw)

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
                sub.weight.copy_(randn(sub.weight.shape, gen, scale))
                if getattr(sub, 'bias', None) is not None:
                    sub.bias.copy_(randn(sub.bias.shape, gen, 0.5))
            elif isinstance(sub, (nn.BatchNorm2d, nn.LayerNorm)):
                c = sub.weight.numel()
                sub.weight.copy_(uniform(c, gen, 0.5, 1.5))
                sub.bias.copy_(randn(c, gen, 0.5))
                if isinstance(sub, nn.BatchNorm2d):
                    sub.running_mean.copy_(randn(c, gen, 0.5))
                    sub.running_var.copy_(uniform(c, gen, 0.5, 2.0))


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


def selftest_worst_diff():
    """The gather sampler against the per-element loop, offsets reaching past
    every border (MODULES.md 6.2 bilT): the largest |difference|."""
    gen = torch.Generator().manual_seed(7)
    worst = 0.0
    for (k, pad, dil, scale) in ((5, 2, 1, 2.0), (7, 9, 3, 4.0), (3, 1, 1, 6.0)):
        x = randn((2, 3, 6, 7), gen)
        off = randn((2, 2 * k * k, 6, 7), gen, scale)
        w = randn((3, 1, k, k), gen)
        a = deform_conv2d_dw(x.double(), off.double(), w.double(), pad, dil)
        b = deform_conv2d_dw_loop(x, off, w, pad, dil)
        worst = max(worst, (a - b).abs().max().item())
    return worst


# --------------------------------------------------------------------------
# ablate's argument names (`ablate list`), for registry.py
# --------------------------------------------------------------------------

DLKA_MODULE_KEYS = {
    'c3': {'c1': None, 'c2': None, 'n': 1, 'shortcut': 1, 'g': 1, 'e': 0.5, 'bn_eps': 1e-5},
    'deformable_lka_attention': {'d_model': None, 'variant': 'blog'},
    'c3_dcnv3_dlka': {'c1': None, 'c2': None, 'n': 1, 'shortcut': 1, 'g': 1, 'e': 0.5,
                      'variant': 'blog', 'bn_eps': 1e-5},
}
DLKA_MODULE_KEYS['dlka'] = DLKA_MODULE_KEYS['deformable_lka_attention']  # ablate's aliases
DLKA_MODULE_KEYS['deformable_lka'] = DLKA_MODULE_KEYS['deformable_lka_attention']
DLKA_MODULE_NAMES = {'c3': 'C3', 'deformable_lka_attention': 'deformable_LKA_Attention',
                     'dlka': 'deformable_LKA_Attention', 'deformable_lka': 'deformable_LKA_Attention',
                     'c3_dcnv3_dlka': 'C3_DCNv3_DLKA'}


def _variant(raw):
    if raw not in VARIANTS:
        raise ValueError("variant must be one of %s (got %r)" % ('|'.join(VARIANTS), raw))
    return raw


DLKA_ARG_TYPES = {'variant': _variant, 'e': float, 'bn_eps': float}


def build_dlka(name, a):
    """(module, input channels) for a resolved argument dict, or None if not ours."""
    canonical = DLKA_MODULE_NAMES.get(name)
    if canonical is None:
        return None
    if canonical == 'deformable_LKA_Attention':
        return DeformableLKAAttention(a['d_model'], a['variant']), a['d_model']
    variant = a['variant'] if canonical == 'C3_DCNv3_DLKA' else None
    return C3(a['c1'], a['c2'], a['n'], bool(a['shortcut']), a['g'], a['e'], variant), a['c1']


def is_dlka(m):
    """True for the modules built above (C3 covers C3_DCNv3_DLKA)."""
    return isinstance(m, (C3, DeformableLKAAttention))


# --------------------------------------------------------------------------
# How many samples leave the map (make_parity_case reports it)
# --------------------------------------------------------------------------

def _official_stats(layer, x):
    """(outside, crossing) for a DeformConvOfficial on input x: outside = all
    four corners dropped (torchvision: y <= -1, y >= H, ...), crossing = at
    least one corner outside."""
    off = layer.offset_net(x).double()
    B, _, H, W = x.shape
    dc = layer.deform_conv
    k = dc.weight.shape[-1]
    oh = torch.arange(H, dtype=torch.float64).view(1, H, 1)
    ow = torch.arange(W, dtype=torch.float64).view(1, 1, W)
    outside, crossing = [], []
    for t in range(k * k):
        i, j = divmod(t, k)
        ys = oh - dc.pad + i * dc.dil + off[:, 2 * t]
        xs = ow - dc.pad + j * dc.dil + off[:, 2 * t + 1]
        outside.append((ys <= -1) | (ys >= H) | (xs <= -1) | (xs >= W))
        crossing.append((ys < 0) | (ys > H - 1) | (xs < 0) | (xs > W - 1))
    return (torch.stack(outside).double().mean().item(),
            torch.stack(crossing).double().mean().item())


def border_stats(m, x):
    """[(layer name, outside, crossing)] for the two deformable layers of the
    first attention in m (empty for plain C3)."""
    att = next((s for s in m.modules() if isinstance(s, DeformableLKA)), None)
    if att is None:
        return []
    inputs = {}
    layers = (('conv0', att.conv0), ('conv_spatial', att.conv_spatial))
    hooks = [layer.register_forward_pre_hook(
        lambda mod, inp, key=key: inputs.__setitem__(key, inp[0])) for key, layer in layers]
    try:
        with torch.no_grad():
            m(x)
    finally:
        for h in hooks:
            h.remove()
    out = []
    with torch.no_grad():
        for key, layer in layers:
            if isinstance(layer, DeformConvOfficial):
                o, c = _official_stats(layer, inputs[key])
            else:
                o, c = sample_stats(layer.deform_conv, inputs[key])
            out.append((key, o, c))
    return out
