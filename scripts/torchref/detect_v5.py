"""The detection heads' golden helpers.  For both heads -- the YOLOv5
repository's anchor-based Detect (row DetectV5; MODULES.md 3.7; the class
is yolov5.py's) and ultralytics' YOLOv8 Detect (DFL, anchor-free,
MODULES.md 3.6; ultralytics.py's) -- the arguments, the levels' inputs,
the random draw, the golden cases and DetectV5's float64 spec.

A head takes one map per level, so the one-input golden cases do not fit:
each file holds the state_dict, the levels' inputs `x0`, `x1`, ... (NCHW;
level l is level l-1 halved, rounded up, as a stride-2 3x3 Conv makes it),
`y` and metadata naming the row and its arguments (kernels/detect.c,
kernels/detect_v5.c); tests/test_goldens.c packs the levels one after
another, as the rows read them.  torch_golden.py writes and verifies them.

Sizes: a v8 head has at least 64 box channels (4 x reg_max), so every level
holds a 64 -> 64 3x3 Conv (147 KB): the v8 cases keep to one and two
levels (three and more are in the whole-model golden).
"""
import torch
import torch.nn as nn

from .draw import randn, uniform
from .randomize import randomize_weights
from .ultralytics import Detect  # the v8 head of the whole-model golden
from .yolov5 import DetectV5  # the v5 head, also built by ultralytics.parse_model

MODULES = ('Detect', 'DetectV5')
LEVELS_MAX = 4


def parse_args(text):
    """'nc=3 ch0=8 ch1=12 ...' -> {'nc': 3, 'ch': [8, 12], ...}."""
    kv = {k: int(v) for k, v in (it.split('=', 1) for it in text.split())}
    kv['ch'] = [kv.pop('ch%d' % l) for l in range(LEVELS_MAX) if 'ch%d' % l in kv]
    return kv


def strides(a):
    return [float(a.get('stride0', 8) << l) for l in range(len(a['ch']))]


def build(module, args, bn_eps, gen=None):
    """The head in eval mode; with `gen`, v5 anchors drawn from it (else
    zeros, for load_state_dict to fill)."""
    a = parse_args(args)
    if module == 'Detect':
        m = Detect(a['nc'], a['ch'])
        m.stride = torch.tensor(strides(a))
        for sub in m.modules():
            if isinstance(sub, nn.BatchNorm2d):
                sub.eps = bn_eps
        return m.eval()
    na = a.get('na', 3)
    anchors = [[0.0] * (2 * na) for _ in a['ch']]
    if gen is not None:  # 0.5 to 6 strides: boxes of 4 px to a few hundred
        anchors = uniform((len(a['ch']), 2 * na), gen, 0.5, 6.0).tolist()
    return DetectV5(a['nc'], anchors, a['ch'], strides(a)).eval()


def level_inputs(a, batch, h, w, gen):
    """N(0,1) maps, level l at ceil(h / 2^l) x ceil(w / 2^l)."""
    xs = []
    for c in a['ch']:
        xs.append(randn((batch, c, h, w), gen))
        h, w = (h + 1) // 2, (w + 1) // 2
    return xs


def _c(module, name, args, h, w, batch=2, bn_eps=1e-3):
    return {'module': module, 'name': name, 'args': args, 'h': h, 'w': w, 'batch': batch,
            'bn_eps': bn_eps}


# bn_eps 1e-3: what a YAML model gets (ultralytics initialize_weights); the
# rows default to 1e-5, so the files also check that the eps travels.
CASES = [
    # two levels of different widths, 9x12 -> 5x6; nc > ch0 (c3 = nc)
    _c('Detect', 'detect_nc5_l2_b2_9x12', 'nc=5 ch0=4 ch1=12 stride0=8', 9, 12),
    # one level, nc < ch0 (c3 = ch0), stride 16, a 1-row map, eps 1e-5
    _c('Detect', 'detect_nc3_l1_s16_b2_1x7', 'nc=3 ch0=8 stride0=16', 1, 7, bn_eps=1e-5),
    _c('DetectV5', 'detect_v5_nc3_na3_l3_b2_9x12', 'nc=3 na=3 ch0=8 ch1=12 ch2=4 stride0=8', 9, 12),
    _c('DetectV5', 'detect_v5_nc1_na2_l2_s4_b2_7x5', 'nc=1 na=2 ch0=6 ch1=10 stride0=4', 7, 5),
    _c('DetectV5', 'detect_v5_nc7_na1_l1_s16_b2_4x9', 'nc=7 na=1 ch0=16 stride0=16', 4, 9),
    _c('DetectV5', 'detect_v5_nc2_na3_l4_b2_11x6', 'nc=2 na=3 ch0=4 ch1=6 ch2=8 ch3=4 stride0=8',
       11, 6),
]


def randomize_head(m, gen):
    """Conv and BatchNorm as every golden draws them (randomize.py); the
    v8 DFL conv stays the expectation over bins 0..15, as ultralytics
    freezes it."""
    randomize_weights(m, gen)
    if isinstance(m, Detect):
        with torch.no_grad():
            m.dfl.conv.weight.copy_(torch.arange(16, dtype=torch.float32).view(1, 16, 1, 1))


def spec_v5(a, sd, xs):
    """MODULES.md 3.7 step 3 in float64, element by element along the
    spec's formulas: a check of the re-typing above, not of PyTorch."""
    na, no = a.get('na', 3), a['nc'] + 5
    rows = []
    for l, x in enumerate(xs):
        s = float(a.get('stride0', 8) << l)
        w, b = sd['m.%d.weight' % l].double()[:, :, 0, 0], sd['m.%d.bias' % l].double()
        t = torch.einsum('oc,bchw->bohw', w, x.double()) + b.view(1, -1, 1, 1)
        bs, _, ny, nx = t.shape
        p = torch.sigmoid(t).view(bs, na, no, ny, nx)
        gy, gx = torch.meshgrid(torch.arange(ny).double(), torch.arange(nx).double(), indexing='ij')
        anc = sd['anchors'].double()[l]  # (na, 2), stride units
        out = p.clone()
        out[:, :, 0] = (2 * p[:, :, 0] - 0.5 + gx) * s
        out[:, :, 1] = (2 * p[:, :, 1] - 0.5 + gy) * s
        out[:, :, 2] = (2 * p[:, :, 2]) ** 2 * (anc[:, 0] * s).view(1, na, 1, 1)
        out[:, :, 3] = (2 * p[:, :, 3]) ** 2 * (anc[:, 1] * s).view(1, na, 1, 1)
        rows.append(out.permute(0, 1, 3, 4, 2).reshape(bs, na * ny * nx, no))
    return torch.cat(rows, 1)
