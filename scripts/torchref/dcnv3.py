"""DCNv3 (InternImage's DCNv3_pytorch, seed 004) for the PyTorch-side
scripts: a port of the seed's module with its pure-PyTorch core
dcnv3_core_pytorch (grid_sample based), the golden cases, random weights
that send samples across and beyond the border, and an independent float64
re-implementation of MODULES.md 6.1 step by step, used by
torch_golden.py --verify.  Built through registry.py, so the goldens, the
parity-case and peer scripts build the same module.  Runs on Debian's python3-torch 1.13
alone.

layout: the module always takes B x C x H x W (as every ablate row does);
'nchw' returns B x C x H x W (the seed's wrapper), 'nhwc' returns
B x H x W x C (upstream's return layout, no final permute)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


# --------------------------------------------------------------------------
# The seed's code (ops_dcnv3/functions/dcnv3_func.py, modules/dcnv3.py)
# --------------------------------------------------------------------------

def _get_reference_points(spatial_shapes, device, kernel_h, kernel_w, dilation_h, dilation_w,
                          pad_h=0, pad_w=0, stride_h=1, stride_w=1):
    _, H_, W_, _ = spatial_shapes
    H_out = (H_ - (dilation_h * (kernel_h - 1) + 1)) // stride_h + 1
    W_out = (W_ - (dilation_w * (kernel_w - 1) + 1)) // stride_w + 1
    ref_y, ref_x = torch.meshgrid(
        torch.linspace((dilation_h * (kernel_h - 1)) // 2 + 0.5,
                       (dilation_h * (kernel_h - 1)) // 2 + 0.5 + (H_out - 1) * stride_h,
                       H_out, dtype=torch.float32, device=device),
        torch.linspace((dilation_w * (kernel_w - 1)) // 2 + 0.5,
                       (dilation_w * (kernel_w - 1)) // 2 + 0.5 + (W_out - 1) * stride_w,
                       W_out, dtype=torch.float32, device=device), indexing='ij')
    ref_y = ref_y.reshape(-1)[None] / H_
    ref_x = ref_x.reshape(-1)[None] / W_
    return torch.stack((ref_x, ref_y), -1).reshape(1, H_out, W_out, 1, 2)


def _generate_dilation_grids(spatial_shapes, kernel_h, kernel_w, dilation_h, dilation_w, group,
                             device):
    _, H_, W_, _ = spatial_shapes
    x, y = torch.meshgrid(
        torch.linspace(-((dilation_w * (kernel_w - 1)) // 2),
                       -((dilation_w * (kernel_w - 1)) // 2) + (kernel_w - 1) * dilation_w,
                       kernel_w, dtype=torch.float32, device=device),
        torch.linspace(-((dilation_h * (kernel_h - 1)) // 2),
                       -((dilation_h * (kernel_h - 1)) // 2) + (kernel_h - 1) * dilation_h,
                       kernel_h, dtype=torch.float32, device=device), indexing='ij')
    grid = torch.stack([x / W_, y / H_], -1).reshape(-1, 1, 2).repeat(1, group, 1).permute(1, 0, 2)
    return grid.reshape(1, 1, 1, group * kernel_h * kernel_w, 2)


def dcnv3_core_pytorch(input, offset, mask, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w,
                       dilation_h, dilation_w, group, group_channels, offset_scale):
    """The seed's core, NHWC in and out; unchanged except that the two
    meshgrids name their (default) indexing='ij', which 1.13 warns about."""
    input = F.pad(input, [0, 0, pad_h, pad_h, pad_w, pad_w])
    N_, H_in, W_in, _ = input.shape
    _, H_out, W_out, _ = offset.shape
    ref = _get_reference_points(input.shape, input.device, kernel_h, kernel_w, dilation_h,
                                dilation_w, pad_h, pad_w, stride_h, stride_w)
    grid = _generate_dilation_grids(input.shape, kernel_h, kernel_w, dilation_h, dilation_w, group,
                                    input.device)
    spatial_norm = torch.tensor([W_in, H_in]).reshape(1, 1, 1, 2).repeat(
        1, 1, 1, group * kernel_h * kernel_w).to(input.device)
    sampling_locations = (ref + grid * offset_scale).repeat(N_, 1, 1, 1, 1).flatten(3, 4) + \
        offset * offset_scale / spatial_norm
    P_ = kernel_h * kernel_w
    sampling_grids = 2 * sampling_locations - 1
    input_ = input.view(N_, H_in * W_in, group * group_channels).transpose(1, 2).reshape(
        N_ * group, group_channels, H_in, W_in)
    sampling_grid_ = sampling_grids.view(N_, H_out * W_out, group, P_, 2).transpose(1, 2).flatten(0, 1)
    sampling_input_ = F.grid_sample(input_, sampling_grid_, mode='bilinear', padding_mode='zeros',
                                    align_corners=False)
    mask = mask.view(N_, H_out * W_out, group, P_).transpose(1, 2).reshape(
        N_ * group, 1, H_out * W_out, P_)
    output = (sampling_input_ * mask).sum(-1).view(N_, group * group_channels, H_out * W_out)
    return output.transpose(1, 2).reshape(N_, H_out, W_out, -1).contiguous()


class to_channels_last(nn.Module):
    def forward(self, x):
        return x.permute(0, 2, 3, 1)


class DCNv3_pytorch(nn.Module):
    """The seed's DCNv3_pytorch with act_layer='GELU', norm_layer='LN' (so
    the state_dict keys are dw_conv.0.*, dw_conv.1.1.*), plus `layout`."""

    def __init__(self, channels=64, kernel_size=3, dw_kernel_size=None, stride=1, pad=1,
                 dilation=1, group=4, offset_scale=1.0, center_feature_scale=False,
                 layout='nchw'):
        super().__init__()
        if channels % group != 0:
            raise ValueError(f'channels must be divisible by group, but got {channels} and {group}')
        dw_kernel_size = dw_kernel_size if dw_kernel_size is not None else kernel_size
        self.offset_scale, self.channels, self.kernel_size = offset_scale, channels, kernel_size
        self.dw_kernel_size, self.stride, self.dilation, self.pad = dw_kernel_size, stride, dilation, pad
        self.group, self.group_channels = group, channels // group
        self.center_feature_scale, self.layout = center_feature_scale, layout
        self.dw_conv = nn.Sequential(
            nn.Conv2d(channels, channels, kernel_size=dw_kernel_size, stride=1,
                      padding=(dw_kernel_size - 1) // 2, groups=channels),
            nn.Sequential(to_channels_last(), nn.LayerNorm(channels, eps=1e-6)),
            nn.GELU())
        self.offset = nn.Linear(channels, group * kernel_size * kernel_size * 2)
        self.mask = nn.Linear(channels, group * kernel_size * kernel_size)
        self.input_proj = nn.Linear(channels, channels)
        self.output_proj = nn.Linear(channels, channels)
        self._reset_parameters()
        if center_feature_scale:
            self.center_feature_scale_proj_weight = nn.Parameter(
                torch.zeros((group, channels), dtype=torch.float))
            self.center_feature_scale_proj_bias = nn.Parameter(
                torch.tensor(0.0, dtype=torch.float).view((1,)).repeat(group, ))

    def _reset_parameters(self):
        nn.init.constant_(self.offset.weight.data, 0.)
        nn.init.constant_(self.offset.bias.data, 0.)
        nn.init.constant_(self.mask.weight.data, 0.)
        nn.init.constant_(self.mask.bias.data, 0.)
        nn.init.xavier_uniform_(self.input_proj.weight.data)
        nn.init.constant_(self.input_proj.bias.data, 0.)
        nn.init.xavier_uniform_(self.output_proj.weight.data)
        nn.init.constant_(self.output_proj.bias.data, 0.)

    def forward(self, input):
        input = input.permute(0, 2, 3, 1)
        N, H, W, _ = input.shape
        x = self.input_proj(input)
        x_proj = x
        x1 = self.dw_conv(input.permute(0, 3, 1, 2))
        offset = self.offset(x1)
        mask = F.softmax(self.mask(x1).reshape(N, H, W, self.group, -1), -1).reshape(N, H, W, -1)
        x = dcnv3_core_pytorch(x, offset, mask, self.kernel_size, self.kernel_size, self.stride,
                               self.stride, self.pad, self.pad, self.dilation, self.dilation,
                               self.group, self.group_channels, self.offset_scale)
        if self.center_feature_scale:
            cfs = F.linear(x1, self.center_feature_scale_proj_weight,
                           self.center_feature_scale_proj_bias).sigmoid()
            cfs = cfs[..., None].repeat(1, 1, 1, 1, self.channels // self.group).flatten(-2)
            x = x * (1 - cfs) + x_proj * cfs
        x = self.output_proj(x)
        return x if self.layout == 'nhwc' else x.permute(0, 3, 1, 2)


# --------------------------------------------------------------------------
# Hooks for registry.py and randomize.py
# --------------------------------------------------------------------------

DCNV3_MODULE_KEYS = {
    'dcnv3': {'channels': 64, 'kernel_size': 3, 'dw_kernel_size': 'None', 'stride': 1, 'pad': 1,
              'dilation': 1, 'group': 4, 'offset_scale': 1.0, 'layout': 'nchw',
              'center_feature_scale': 0},
}
DCNV3_MODULE_NAMES = {'dcnv3': 'DCNv3', 'dcnv3_pytorch': 'DCNv3'}


def _int_or_none(raw):
    return None if str(raw).strip("'\"") == 'None' else int(raw)


def _layout(raw):
    if raw not in ('nchw', 'nhwc'):
        raise ValueError("DCNv3: layout must be nchw or nhwc (got %r)" % (raw,))
    return raw


DCNV3_ARG_TYPES = {'dw_kernel_size': _int_or_none, 'offset_scale': float, 'layout': _layout}


def build_dcnv3(name, a):
    """(module, input channels) for 'dcnv3' / 'dcnv3_pytorch', else None."""
    if name not in DCNV3_MODULE_NAMES:
        return None
    m = DCNv3_pytorch(a['channels'], a['kernel_size'], a['dw_kernel_size'], a['stride'], a['pad'],
                      a['dilation'], a['group'], a['offset_scale'],
                      bool(a['center_feature_scale']), a['layout'])
    return m, a['channels']


def randomize_dcnv3(m, gen):
    """Every tensor random (the dw conv is done by randomize.py's Conv2d
    rule): offsets of a few pixels, so on small maps many samples cross the
    border or leave the map; mask logits of order 1 (softmax far from
    uniform).  Same scales as kernels/dcnv3.c's INIT_RANDOM."""
    if not isinstance(m, DCNv3_pytorch):
        return
    C = m.channels
    rnd = lambda shape, s: torch.randn(shape, generator=gen, dtype=torch.float32) * s
    with torch.no_grad():
        ln = m.dw_conv[1][1]
        ln.weight.copy_(0.5 + torch.rand(C, generator=gen))
        ln.bias.copy_(rnd(C, 0.2))
        m.offset.weight.copy_(rnd(m.offset.weight.shape, 2.0 / math.sqrt(C)))
        m.offset.bias.copy_(rnd(m.offset.bias.shape, 2.0))
        m.mask.weight.copy_(rnd(m.mask.weight.shape, 1.5 / math.sqrt(C)))
        m.mask.bias.copy_(rnd(m.mask.bias.shape, 1.0))
        for lin in (m.input_proj, m.output_proj):
            lin.weight.copy_(rnd(lin.weight.shape, 1.0 / math.sqrt(C)))
            lin.bias.copy_(rnd(lin.bias.shape, 0.5))
        if m.center_feature_scale:
            m.center_feature_scale_proj_weight.copy_(rnd((m.group, C), 1.0 / math.sqrt(C)))
            m.center_feature_scale_proj_bias.copy_(rnd(m.group, 1.0))


def _c(name, args, h, w, batch=1):
    return {'name': name, 'args': args, 'h': h, 'w': w, 'batch': batch, 'scale': 2.0}


# channels 16/32/64, group 1/2/4/8, kernel 3/5/7 (7 with dilation 2),
# dw_kernel_size other than kernel_size, H != W, odd sizes, batch 2, a
# single row, layout nhwc, center_feature_scale with offset_scale 2.
DCNV3_CASES = [
    _c('c16_g4_k3_9x11', 'channels=16 group=4', 9, 11),
    _c('c32_g2_k5_b2_8x7', 'channels=32 group=2 kernel_size=5 pad=2', 8, 7, batch=2),
    _c('c16_g1_dwk5_7x10', 'channels=16 group=1 dw_kernel_size=5', 7, 10),
    _c('c64_g4_k3_b2_6x9', 'channels=64 group=4', 6, 9, batch=2),
    _c('c16_g2_k7_d2_13x12', 'channels=16 group=2 kernel_size=7 pad=6 dilation=2', 13, 12),
    _c('c32_g4_nhwc_7x9', 'channels=32 group=4 layout=nhwc', 7, 9),
    _c('c16_g4_cfs_os2_9x8', 'channels=16 group=4 center_feature_scale=1 offset_scale=2.0', 9, 8),
    _c('c16_g8_k3_b2_1x9', 'channels=16 group=8', 1, 9, batch=2),
]


# --------------------------------------------------------------------------
# MODULES.md 6.1 step by step, float64, for --verify
# --------------------------------------------------------------------------

def _bil0(img, ys, xs):
    """MODULES.md 0.1 bil0 on img (H, W, C) at one point: C values."""
    H, W = img.shape[0], img.shape[1]
    y0, x0 = math.floor(ys), math.floor(xs)
    ly, lx = ys - y0, xs - x0
    out = torch.zeros(img.shape[2], dtype=torch.float64)
    for yy, wy in ((y0, 1 - ly), (y0 + 1, ly)):
        for xx, wx in ((x0, 1 - lx), (x0 + 1, lx)):
            if 0 <= yy <= H - 1 and 0 <= xx <= W - 1:
                out += wy * wx * img[yy, xx]
    return out


def dcnv3_spec(a, sd, x):
    """DCNv3 from MODULES.md 6.1 item 3, float64, explicit loops for the
    sampler (no grid_sample, no normalised coordinates)."""
    g = lambda n: sd[n].double()
    C, k, G, dil, osc = a['channels'], a['kernel_size'], a['group'], a['dilation'], a['offset_scale']
    dwk = a['dw_kernel_size'] or k
    gc, P, half = C // G, k * k, dil * (k - 1) // 2
    X = x.double()
    B, _, H, W = X.shape
    xl = X.permute(0, 2, 3, 1)
    xp = xl @ g('input_proj.weight').T + g('input_proj.bias')
    d = F.conv2d(X, g('dw_conv.0.weight'), g('dw_conv.0.bias'), 1, (dwk - 1) // 2, 1, C)
    d = d.permute(0, 2, 3, 1)
    mu = d.mean(-1, keepdim=True)
    var = ((d - mu) ** 2).mean(-1, keepdim=True)
    t = (d - mu) / torch.sqrt(var + 1e-6) * g('dw_conv.1.1.weight') + g('dw_conv.1.1.bias')
    x1 = 0.5 * t * (1 + torch.erf(t / math.sqrt(2)))
    off = x1 @ g('offset.weight').T + g('offset.bias')
    m = torch.softmax((x1 @ g('mask.weight').T + g('mask.bias')).view(B, H, W, G, P), -1)
    core = torch.zeros(B, H, W, C, dtype=torch.float64)
    for b in range(B):
        for h in range(H):
            for w in range(W):
                for gi in range(G):
                    for p in range(P):
                        dx, dy = -half + (p // k) * dil, -half + (p % k) * dil
                        q = gi * P + p
                        xs = w + osc * (dx + off[b, h, w, 2 * q].item())
                        ys = h + osc * (dy + off[b, h, w, 2 * q + 1].item())
                        v = _bil0(xp[b, :, :, gi * gc:(gi + 1) * gc], ys, xs)
                        core[b, h, w, gi * gc:(gi + 1) * gc] += m[b, h, w, gi, p].item() * v
    if a['center_feature_scale']:
        lam = torch.sigmoid(x1 @ g('center_feature_scale_proj_weight').T +
                            g('center_feature_scale_proj_bias'))
        lam = lam.repeat_interleave(gc, -1)
        core = core * (1 - lam) + xp * lam
    y = core @ g('output_proj.weight').T + g('output_proj.bias')
    return (y if a['layout'] == 'nhwc' else y.permute(0, 3, 1, 2)).numpy()


def sample_stats(m, x):
    """Fraction of sampling points whose location lies outside the map, and
    fraction with at least one corner outside (crossing the border)."""
    with torch.no_grad():
        xl = x.permute(0, 2, 3, 1)
        off = m.offset(m.dw_conv(xl.permute(0, 3, 1, 2)))
    B, H, W, _ = off.shape
    k, dil, P = m.kernel_size, m.dilation, m.kernel_size ** 2
    half = dil * (k - 1) // 2
    p = torch.arange(P).repeat(m.group)
    gx = (-half + (p // k) * dil).double()
    gy = (-half + (p % k) * dil).double()
    off = off.double().view(B, H, W, m.group * P, 2)
    xs = torch.arange(W).double().view(1, 1, W, 1) + m.offset_scale * (gx + off[..., 0])
    ys = torch.arange(H).double().view(1, H, 1, 1) + m.offset_scale * (gy + off[..., 1])
    outside = (xs < -1) | (xs > W) | (ys < -1) | (ys > H)
    crossing = (xs < 0) | (xs > W - 1) | (ys < 0) | (ys > H - 1)
    return outside.double().mean().item(), crossing.double().mean().item()
