"""GhostModule and C2f_GhostModule_DynamicConv (seed 003, ParameterNet) for
the PyTorch-side scripts: the seed's classes re-typed on dyconv.py's
DynamicConv (timm's CondConv2d re-typed there), their golden cases, and
independent re-implementations of MODULES.md 5.5 / 5.6 used by
torch_golden.py --verify.  Built through registry.py, so the goldens,
make_parity_case.py and torch_peer.py mean the same modules."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .dyconv import DynamicConv, dynamicconv_spec, randomize_dynamic
from .ultralytics import Conv  # the seed's copy of ultralytics Conv is the same class


class GhostModule(nn.Module):
    """The seed's GhostModule, unchanged but for act_layer's spelling."""

    def __init__(self, inp, oup, kernel_size=1, ratio=2, dw_size=3, stride=1, act_layer=nn.ReLU,
                 num_experts=4):
        super().__init__()
        self.oup = oup
        init_channels = math.ceil(oup / ratio)
        new_channels = init_channels * (ratio - 1)
        self.primary_conv = nn.Sequential(
            DynamicConv(inp, init_channels, kernel_size, stride, kernel_size // 2, bias=False,
                        num_experts=num_experts),
            nn.BatchNorm2d(init_channels),
            act_layer() if act_layer is not None else nn.Sequential(),
        )
        self.cheap_operation = nn.Sequential(
            DynamicConv(init_channels, new_channels, dw_size, 1, dw_size // 2, groups=init_channels,
                        bias=False, num_experts=num_experts),
            nn.BatchNorm2d(new_channels),
            act_layer() if act_layer is not None else nn.Sequential(),
        )

    def forward(self, x):
        x1 = self.primary_conv(x)
        x2 = self.cheap_operation(x1)
        out = torch.cat([x1, x2], dim=1)
        return out[:, :self.oup, :, :]


class C2f_GhostModule_DynamicConv(nn.Module):
    """The seed's class: shortcut and g are accepted and ignored."""

    def __init__(self, c1, c2, n=1, shortcut=False, g=1, e=0.5):
        super().__init__()
        self.c = int(c2 * e)
        self.cv1 = Conv(c1, 2 * self.c, 1, 1)
        self.cv2 = Conv((2 + n) * self.c, c2, 1)
        self.m = nn.ModuleList(GhostModule(self.c, self.c) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).split((self.c, self.c), 1))
        y.extend(m(y[-1]) for m in self.m)
        return self.cv2(torch.cat(y, 1))


GHOST_MODULE_KEYS = {
    'ghostmodule': {'inp': None, 'oup': None, 'kernel_size': 1, 'ratio': 2, 'dw_size': 3,
                    'stride': 1, 'act': 'relu', 'num_experts': 4, 'bn_eps': 1e-5},
    'c2f_ghostmodule_dynamicconv': {'c1': None, 'c2': None, 'n': 1, 'shortcut': 0, 'g': 1,
                                    'e': 0.5, 'bn_eps': 1e-5},
}
GHOST_MODULE_NAMES = {'ghostmodule': 'GhostModule',
                      'c2f_ghostmodule_dynamicconv': 'C2f_GhostModule_DynamicConv',
                      'c2f_dynamicconv': 'C2f_GhostModule_DynamicConv'}  # the seed YAML's name


def _act_value(raw):
    t = str(raw).strip("'\"").lower()
    if t not in ('relu', 'none'):
        raise ValueError("GhostModule: act must be relu or none (got %r)" % raw)
    return t


GHOST_ARG_TYPES = {'act': _act_value, 'ratio': int}


def build_ghost(name, a):
    """(module, c_in) for a resolved argument dict, or None if not ours."""
    if name == 'ghostmodule':
        act = nn.ReLU if a['act'] == 'relu' else None
        m = GhostModule(a['inp'], a['oup'], a['kernel_size'], a['ratio'], a['dw_size'], a['stride'],
                        act, a['num_experts'])
        return m, a['inp']
    if name in ('c2f_ghostmodule_dynamicconv', 'c2f_dynamicconv'):
        m = C2f_GhostModule_DynamicConv(a['c1'], a['c2'], a['n'], bool(a['shortcut']), a['g'], a['e'])
        return m, a['c1']
    return None


def _c(name, args, h, w, batch=1):
    return {'name': name, 'args': args, 'h': h, 'w': w, 'batch': batch, 'scale': 2.0}


# kernel 1 and 3, stride 1/2, batch 2, odd oup (the [:, :oup] slice drops a
# channel), ratio 3, dw 5, act none, 1 and 2 experts, H != W, a 1-row map.
GHOST_CASES = [
    _c('k1_b2_7x9', 'inp=4 oup=6', 7, 9, batch=2),
    _c('k3_s2_oup5_9x8', 'inp=5 oup=5 kernel_size=3 stride=2', 9, 8),
    _c('k1_r3_oup7_b2_8x6', 'inp=6 oup=7 ratio=3', 8, 6, batch=2),
    _c('k3_noact_E2_b2_6x7', 'inp=4 oup=8 kernel_size=3 act=none num_experts=2', 6, 7, batch=2),
    _c('k1_dw5_s2_b2_11x9', 'inp=3 oup=6 dw_size=5 stride=2', 11, 9, batch=2),
    _c('k3_E1_1x9', 'inp=4 oup=4 kernel_size=3 num_experts=1', 1, 9),
]

# n 1 and 2, odd hidden width (GhostModule(c, c) with odd c slices), batch
# 2, shortcut and g given (and ignored), H != W, a 1-row map.
C2F_GHOST_CASES = [
    _c('n1_8x10', 'c1=4 c2=6 n=1', 8, 10),
    _c('n2_b2_7x9', 'c1=5 c2=8 n=2', 7, 9, batch=2),
    _c('n1_short_b2_6x5', 'c1=4 c2=4 n=1 shortcut=1', 6, 5, batch=2),
    _c('n2_g2_c5_9x6', 'c1=6 c2=10 n=2 g=2', 9, 6),
    _c('n1_1x9', 'c1=3 c2=4 n=1', 1, 9),
]


def randomize_ghost(m, gen):
    """Every DynamicConv inside (randomize.py draws the Conv2d and BN
    layers, dyconv.py a top-level DynamicConv only)."""
    for sub in m.modules():
        if sub is not m and isinstance(sub, DynamicConv):
            randomize_dynamic(sub, gen)


def _sub(sd, prefix):
    return {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}


def _bn(z, sd, eps):
    col = lambda n: sd[n].double().view(1, -1, 1, 1)
    return (z - col('running_mean')) / torch.sqrt(col('running_var') + eps) * col('weight') + col('bias')


def ghost_spec(a, sd, x):
    """GhostModule from MODULES.md 5.5 item 3 (float64, explicit slice)."""
    init = -(-a['oup'] // a['ratio'])
    new = init * (a['ratio'] - 1)
    act = (lambda z: torch.relu(z)) if a['act'] == 'relu' else (lambda z: z)
    dyn = lambda cin, cout, k, s, g: {'in_features': cin, 'out_features': cout, 'kernel_size': k,
                                      'stride': s, 'padding': k // 2, 'dilation': 1, 'groups': g}
    x1 = torch.from_numpy(dynamicconv_spec(dyn(a['inp'], init, a['kernel_size'], a['stride'], 1),
                                           _sub(sd, 'primary_conv.0.'), x))
    x1 = act(_bn(x1, _sub(sd, 'primary_conv.1.'), a['bn_eps']))
    x2 = torch.from_numpy(dynamicconv_spec(dyn(init, new, a['dw_size'], 1, init),
                                           _sub(sd, 'cheap_operation.0.'), x1))
    x2 = act(_bn(x2, _sub(sd, 'cheap_operation.1.'), a['bn_eps']))
    keep = a['oup'] - init
    return torch.cat([x1, x2[:, :keep]], 1).numpy()


def _conv_spec(sd, x, eps):
    z = F.conv2d(x.double(), sd['conv.weight'].double())  # every Conv here is 1x1
    z = _bn(z, _sub(sd, 'bn.'), eps)
    return z * torch.sigmoid(z)


def c2f_ghost_spec(a, sd, x):
    """C2f_GhostModule_DynamicConv from MODULES.md 5.6 / 3.3 step 3."""
    c, n, eps = int(a['c2'] * a['e']), a['n'], a['bn_eps']
    t = _conv_spec(_sub(sd, 'cv1.'), x, eps)
    ys = [t[:, :c], t[:, c:2 * c]]
    g = {'inp': c, 'oup': c, 'kernel_size': 1, 'ratio': 2, 'dw_size': 3, 'stride': 1, 'act': 'relu',
         'bn_eps': eps}
    for i in range(n):
        ys.append(torch.from_numpy(ghost_spec(g, _sub(sd, 'm.%d.' % i), ys[-1])))
    return _conv_spec(_sub(sd, 'cv2.'), torch.cat(ys, 1), eps).numpy()


GHOST_SPECS = {'GhostModule': ghost_spec, 'C2f_GhostModule_DynamicConv': c2f_ghost_spec}
# file names: c2f_ghost_*, so the C2f goldens' glob c2f_* does not take them
GHOST_FILE_PREFIX = {'GhostModule': 'ghostmodule', 'C2f_GhostModule_DynamicConv': 'c2f_ghost'}
