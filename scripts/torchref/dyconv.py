"""DYConv2d (seed 002) and DynamicConv with timm's CondConv2d (seed 003) for
the PyTorch-side scripts: ports of the official modules, their golden cases
and independent re-implementations of MODULES.md 5.3 / 5.4 used by
torch_golden.py --verify.  Built through registry.py (so the goldens, the
parity-case and peer scripts mean the same modules).  Runs on Debian's python3-torch
1.13 alone: timm is not needed, CondConv2d is re-typed below."""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class attention2d(nn.Module):
    """The seed's attention2d: mean -> fc1 -> ReLU -> fc2 -> softmax(z/T)."""

    def __init__(self, in_planes, ratios, K, temperature):
        super().__init__()
        assert temperature % 3 == 1
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        hidden_planes = int(in_planes * ratios) + 1 if in_planes != 3 else K
        self.fc1 = nn.Conv2d(in_planes, hidden_planes, 1, bias=False)
        self.fc2 = nn.Conv2d(hidden_planes, K, 1, bias=True)
        self.temperature = temperature

    def forward(self, x):
        x = F.relu(self.fc1(self.avgpool(x)))
        x = self.fc2(x).view(x.size(0), -1)
        return F.softmax(x / self.temperature, 1)


class DYConv2d(nn.Module):
    """The seed's DYConv2d (upstream Dynamic_conv2d): per-sample kernels by
    the batch-as-groups trick, exactly as the seed runs it."""

    def __init__(self, in_planes, out_planes, kernel_size, ratio=0.25, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, K=4, temperature=34):
        super().__init__()
        assert in_planes % groups == 0
        self.in_planes, self.out_planes, self.kernel_size = in_planes, out_planes, kernel_size
        self.stride, self.padding, self.dilation, self.groups, self.K = stride, padding, dilation, groups, K
        self.attention = attention2d(in_planes, ratio, K, temperature)
        self.weight = nn.Parameter(torch.randn(K, out_planes, in_planes // groups, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(K, out_planes)) if bias else None

    def forward(self, x):
        att = self.attention(x)
        b, _, h, w = x.size()
        x = x.view(1, -1, h, w)
        wt = torch.mm(att, self.weight.view(self.K, -1)).view(
            b * self.out_planes, self.in_planes // self.groups, self.kernel_size, self.kernel_size)
        bias = torch.mm(att, self.bias).view(-1) if self.bias is not None else None
        out = F.conv2d(x, wt, bias, self.stride, self.padding, self.dilation, self.groups * b)
        return out.view(b, self.out_planes, out.size(-2), out.size(-1))


def _timm_padding(padding, k, s, d):
    """timm get_padding_value: (static pad or None, dynamic?)."""
    if isinstance(padding, str):
        p = padding.lower()
        if p == 'same':
            if s == 1 and (d * (k - 1)) % 2 == 0:
                return (d * (k - 1)) // 2, False
            return 0, True
        if p == 'valid':
            return 0, False
        return ((s - 1) + d * (k - 1)) // 2, False
    return padding, False


def _pad_same(x, k, s, d):
    ih, iw = x.size()[-2:]
    ph = max((math.ceil(ih / s) - 1) * s + (k - 1) * d + 1 - ih, 0)
    pw = max((math.ceil(iw / s) - 1) * s + (k - 1) * d + 1 - iw, 0)
    return F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])


class CondConv2d(nn.Module):
    """timm's CondConv2d (layers/cond_conv2d.py), forward path re-typed."""

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding='', dilation=1,
                 groups=1, bias=False, num_experts=4):
        super().__init__()
        self.in_channels, self.out_channels, self.k = in_channels, out_channels, kernel_size
        self.stride, self.dilation, self.groups, self.num_experts = stride, dilation, groups, num_experts
        self.padding, self.dynamic_padding = _timm_padding(padding, kernel_size, stride, dilation)
        self.weight_shape = (out_channels, in_channels // groups, kernel_size, kernel_size)
        self.weight = nn.Parameter(torch.Tensor(num_experts, int(np.prod(self.weight_shape))))
        self.bias = nn.Parameter(torch.Tensor(num_experts, out_channels)) if bias else None
        with torch.no_grad():
            bound = 1 / math.sqrt(int(np.prod(self.weight_shape[1:])))
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def forward(self, x, routing_weights):
        B, C, H, W = x.shape
        weight = torch.matmul(routing_weights, self.weight)
        weight = weight.view((B * self.out_channels,) + self.weight_shape[1:])
        bias = torch.matmul(routing_weights, self.bias).view(B * self.out_channels) \
            if self.bias is not None else None
        x = x.reshape(1, B * C, H, W)
        if self.dynamic_padding:
            x = _pad_same(x, self.k, self.stride, self.dilation)
            pad = 0
        else:
            pad = self.padding
        out = F.conv2d(x, weight, bias, self.stride, pad, self.dilation, self.groups * B)
        return out.permute([1, 0, 2, 3]).view(B, self.out_channels, out.shape[-2], out.shape[-1])


class DynamicConv(nn.Module):
    """ParameterNet DynamicConv (seed 003): sigmoid routing + CondConv2d."""

    def __init__(self, in_features, out_features, kernel_size=1, stride=1, padding='', dilation=1,
                 groups=1, bias=False, num_experts=4):
        super().__init__()
        self.routing = nn.Linear(in_features, num_experts)
        self.cond_conv = CondConv2d(in_features, out_features, kernel_size, stride, padding,
                                    dilation, groups, bias, num_experts)

    def forward(self, x):
        pooled = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.cond_conv(x, torch.sigmoid(self.routing(pooled)))


DYN_MODULE_KEYS = {
    'dyconv2d': {'in_planes': None, 'out_planes': None, 'kernel_size': None, 'ratio': 0.25,
                 'stride': 1, 'padding': 0, 'dilation': 1, 'groups': 1, 'bias': 1, 'K': 4,
                 'temperature': 34},
    'dynamicconv': {'in_features': None, 'out_features': None, 'kernel_size': 1, 'stride': 1,
                    'padding': "''", 'dilation': 1, 'groups': 1, 'bias': 0, 'num_experts': 4},
}
DYN_MODULE_NAMES = {'dyconv2d': 'DYConv2d', 'dynamicconv': 'DynamicConv'}


def _padding_value(raw):
    """'1' -> 1; "''", '' -> ''; 'same' / "'same'" -> 'same' (as the C side)."""
    t = str(raw)
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        t = t[1:-1]
    return int(t) if t.lstrip('-').isdigit() else t


DYN_ARG_TYPES = {'ratio': float, 'padding': _padding_value}


def build_dynamic(name, a):
    """(module, c_in) for a resolved argument dict, or None if not ours."""
    if name == 'dyconv2d':
        m = DYConv2d(a['in_planes'], a['out_planes'], a['kernel_size'], a['ratio'], a['stride'],
                     a['padding'], a['dilation'], a['groups'], bool(a['bias']), a['K'],
                     a['temperature'])
        return m, a['in_planes']
    if name == 'dynamicconv':
        m = DynamicConv(a['in_features'], a['out_features'], a['kernel_size'], a['stride'],
                        a['padding'], a['dilation'], a['groups'], bool(a['bias']), a['num_experts'])
        return m, a['in_features']
    return None


def randomize_dynamic(m, gen):
    """Expert kernels and biases (plain Parameters, not Conv2d) and routing
    strong enough that the experts get clearly different weights."""
    rnd = lambda shape, s: torch.randn(shape, generator=gen, dtype=torch.float32) * s
    with torch.no_grad():
        if isinstance(m, DYConv2d):
            m.weight.copy_(rnd(m.weight.shape, 1 / math.sqrt(m.weight[0, 0].numel())))
            if m.bias is not None:
                m.bias.copy_(rnd(m.bias.shape, 0.5))
            t = m.attention.temperature
            m.attention.fc2.bias.copy_(rnd(m.attention.fc2.bias.shape, 2.0 * t))
        elif isinstance(m, DynamicConv):
            c = m.cond_conv
            c.weight.copy_(rnd(c.weight.shape, 1 / math.sqrt(np.prod(c.weight_shape[1:]))))
            if c.bias is not None:
                c.bias.copy_(rnd(c.bias.shape, 0.5))
            m.routing.weight.copy_(rnd(m.routing.weight.shape, 3.0 / math.sqrt(m.routing.in_features)))
            m.routing.bias.copy_(rnd(m.routing.bias.shape, 1.0))


def _c(name, args, h, w, batch=1):
    return {'name': name, 'args': args, 'h': h, 'w': w, 'batch': batch, 'scale': 2.0}


# K 1/2/4/8, kernel 1 and 3, padding 0/1, groups 1/2/depthwise, stride 1/2,
# batch 2, in_planes 3 (hidden = K), bias off, temperature 34 and 1.
DYCONV_CASES = [
    _c('k3_K4_p1_b2_7x9', 'in_planes=4 out_planes=6 kernel_size=3 padding=1 K=4', 7, 9, batch=2),
    _c('k3_K1_p0_8x8', 'in_planes=5 out_planes=4 kernel_size=3 K=1', 8, 8),
    _c('k1_K2_s2_9x7', 'in_planes=6 out_planes=8 kernel_size=1 stride=2 K=2 temperature=1', 9, 7),
    _c('k3_K8_s2_g2_b2_10x8', 'in_planes=4 out_planes=6 kernel_size=3 stride=2 padding=1 groups=2 '
       'K=8 temperature=1', 10, 8, batch=2),
    _c('k3_dw_rgb_b2_6x7', 'in_planes=3 out_planes=3 kernel_size=3 padding=1 groups=3 K=4 '
       'temperature=4', 6, 7, batch=2),
    _c('k3_rgb_nobias_s2_9x9', 'in_planes=3 out_planes=8 kernel_size=3 stride=2 padding=1 bias=0 '
       'K=2 temperature=1', 9, 9),
    _c('k3_d2_K4_b2_9x10', 'in_planes=8 out_planes=4 kernel_size=3 padding=2 dilation=2 K=4 '
       'temperature=1 ratio=0.5', 9, 10, batch=2),
]

# num_experts 1/2/4/8, kernel 1 and 3, padding ''/0/1/same/valid, groups
# 1/2/depthwise, stride 1/2, batch 2, bias on, TF-SAME with odd sizes.
DYNAMICCONV_CASES = [
    _c('k3_s2_E4_b2_9x10', 'in_features=4 out_features=6 kernel_size=3 stride=2', 9, 10, batch=2),
    _c('k3_E1_p0_7x8', 'in_features=5 out_features=4 kernel_size=3 padding=0 num_experts=1', 7, 8),
    _c('k1_E2_s2_8x7', 'in_features=6 out_features=8 kernel_size=1 stride=2 num_experts=2', 8, 7),
    _c('k3_E8_g2_p1_b2_8x8', 'in_features=4 out_features=6 kernel_size=3 padding=1 groups=2 '
       'num_experts=8', 8, 8, batch=2),
    _c('k3_dw_bias_b2_6x9', 'in_features=3 out_features=3 kernel_size=3 groups=3 bias=1', 6, 9,
       batch=2),
    _c('k3_same_s2_b2_9x8', 'in_features=4 out_features=5 kernel_size=3 stride=2 padding=same', 9, 8,
       batch=2),
    _c('k3_valid_E2_7x7', 'in_features=3 out_features=4 kernel_size=3 padding=valid num_experts=2',
       7, 7),
]


def dyconv_spec(a, sd, x):
    """DYConv2d from MODULES.md 5.3 item 3, per sample, in float64."""
    X = x.double()
    g = lambda n: sd[n].double()
    out = []
    for b in range(X.shape[0]):
        mean = X[b].mean((1, 2))
        h = torch.relu(g('attention.fc1.weight')[:, :, 0, 0] @ mean)
        z = g('attention.fc2.weight')[:, :, 0, 0] @ h + g('attention.fc2.bias')
        pi = torch.softmax(z / a['temperature'], 0)
        w = torch.einsum('k,koicd->oicd', pi, g('weight'))
        bias = pi @ g('bias') if 'bias' in sd else None
        out.append(F.conv2d(X[b:b + 1], w, bias, a['stride'], a['padding'], a['dilation'],
                            a['groups']))
    return torch.cat(out).numpy()


def dynamicconv_spec(a, sd, x):
    """DynamicConv from MODULES.md 5.4 item 3 and the 4.1 padding table."""
    X = x.double()
    k, s, d = a['kernel_size'], a['stride'], a['dilation']
    shape = (a['out_features'], a['in_features'] // a['groups'], k, k)
    out = []
    for b in range(X.shape[0]):
        r = torch.sigmoid(sd['routing.weight'].double() @ X[b].mean((1, 2)) + sd['routing.bias'].double())
        w = (r @ sd['cond_conv.weight'].double()).view(shape)
        bias = r @ sd['cond_conv.bias'].double() if 'cond_conv.bias' in sd else None
        xb, (pad, dyn) = X[b:b + 1], _timm_padding(a['padding'], k, s, d)
        if dyn:
            xb = _pad_same(xb, k, s, d)
        out.append(F.conv2d(xb, w, bias, s, pad, d, a['groups']))
    return torch.cat(out).numpy()


DYN_SPECS = {'DYConv2d': dyconv_spec, 'DynamicConv': dynamicconv_spec}
