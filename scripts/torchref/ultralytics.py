"""ultralytics' YOLOv8 building blocks and the YAML model builder, re-typed
in plain torch (no ultralytics install): autopad, Conv, Bottleneck, C2f,
SPPF, Concat, DFL, Detect, make_anchors, make_divisible (nn/modules/
{conv,block,head}.py, MODULES.md 3.1-3.6) and parse_model / Model
(MODULES.md 2.1; the yolov8 graph's rows only, other modules stop with a
message).  YOLOv5-style YAMLs too: no `scales` but depth_multiple and
width_multiple (no channel cap), and `Detect: [nc, anchors]` with a
top-level anchors list builds YOLOv5's anchor-based head (yolov5.py's
DetectV5, anchors divided by the strides as YOLOv5's DetectionModel does).
The YAML itself is read by the drivers (yaml.safe_load)."""
import ast
import math

import torch
import torch.nn as nn

from .yolov5 import DetectV5


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


class SPPF(nn.Module):
    """ultralytics SPPF (MODULES.md 3.5)."""

    def __init__(self, c1, c2, k=5):
        super().__init__()
        c_ = c1 // 2
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c_ * 4, c2, 1, 1)
        self.m = nn.MaxPool2d(kernel_size=k, stride=1, padding=k // 2)

    def forward(self, x):
        y = [self.cv1(x)]
        y.extend(self.m(y[-1]) for _ in range(3))
        return self.cv2(torch.cat(y, 1))


class Concat(nn.Module):
    def __init__(self, dimension=1):
        super().__init__()
        self.d = dimension

    def forward(self, x):
        return torch.cat(x, self.d)


class DFL(nn.Module):
    """Distribution focal loss integral: expectation over reg_max bins."""

    def __init__(self, c1=16):
        super().__init__()
        self.conv = nn.Conv2d(c1, 1, 1, bias=False).requires_grad_(False)
        self.conv.weight.data[:] = nn.Parameter(torch.arange(c1, dtype=torch.float).view(1, c1, 1, 1))
        self.c1 = c1

    def forward(self, x):
        b, _, a = x.shape
        return self.conv(x.view(b, 4, self.c1, a).transpose(2, 1).softmax(1)).view(b, 4, a)


class Detect(nn.Module):
    """ultralytics v8 Detect, eval forward (MODULES.md 3.6)."""

    def __init__(self, nc=80, ch=()):
        super().__init__()
        self.nc, self.nl, self.reg_max = nc, len(ch), 16
        self.no = nc + self.reg_max * 4
        self.stride = torch.zeros(self.nl)
        c2, c3 = max((16, ch[0] // 4, self.reg_max * 4)), max(ch[0], min(self.nc, 100))
        self.cv2 = nn.ModuleList(nn.Sequential(Conv(x, c2, 3), Conv(c2, c2, 3),
                                               nn.Conv2d(c2, 4 * self.reg_max, 1)) for x in ch)
        self.cv3 = nn.ModuleList(nn.Sequential(Conv(x, c3, 3), Conv(c3, c3, 3),
                                               nn.Conv2d(c3, self.nc, 1)) for x in ch)
        self.dfl = DFL(self.reg_max)

    def forward(self, x):
        x = list(x)
        for i in range(self.nl):
            x[i] = torch.cat((self.cv2[i](x[i]), self.cv3[i](x[i])), 1)
        shape = x[0].shape
        x_cat = torch.cat([xi.view(shape[0], self.no, -1) for xi in x], 2)
        anchors, strides = make_anchors(x, self.stride, 0.5)
        box, cls = x_cat.split((self.reg_max * 4, self.nc), 1)
        lt, rb = self.dfl(box).chunk(2, 1)
        a = anchors.transpose(0, 1).unsqueeze(0)
        x1y1, x2y2 = a - lt, a + rb
        dbox = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * strides.transpose(0, 1)
        return torch.cat((dbox, cls.sigmoid()), 1)


def make_anchors(feats, strides, offset=0.5):
    points, stride_t = [], []
    for i, stride in enumerate(strides):
        _, _, h, w = feats[i].shape
        sx = torch.arange(end=w, dtype=torch.float32) + offset
        sy = torch.arange(end=h, dtype=torch.float32) + offset
        sy, sx = torch.meshgrid(sy, sx, indexing='ij')
        points.append(torch.stack((sx, sy), -1).view(-1, 2))
        stride_t.append(torch.full((h * w, 1), float(stride), dtype=torch.float32))
    return torch.cat(points), torch.cat(stride_t)


def make_divisible(x, d):
    return math.ceil(x / d) * d


def multiples(d, scale):
    """(depth, width, max_channels): the scale's row, or for a YOLOv5-style
    YAML (no scales) its depth_multiple and width_multiple, uncapped."""
    if 'scales' in d:
        if scale not in d['scales']:
            raise SystemExit("unknown scale '%s' (scales: %s)" % (scale, ', '.join(d['scales'])))
        return d['scales'][scale]
    return d.get('depth_multiple', 1.0), d.get('width_multiple', 1.0), float('inf')


def _detect(args, ch, f, d):
    """Detect [nc] (v8, anchor-free) or Detect [nc, anchors] (YOLOv5's
    anchor-based head; the strides are set by Model)."""
    if len(args) == 2 and args[1] == 'anchors':
        return DetectV5(args[0], d['anchors'], [ch[x] for x in f], [1.0] * len(f))
    return Detect(args[0], [ch[x] for x in f])


def parse_model(d, scale, extra=None):
    """ultralytics parse_model, for Conv, C2f, SPPF, nn.Upsample, Concat, Detect;
    other modules through extra(m, c1, args, n, width, max_ch, nc), which
    returns (factory, c2, n) or None (seeds.seed_layer builds the seed
    modules: passed in, since seeds sits above this module)."""
    nc = d['nc']
    depth, width, max_ch = multiples(d, scale)
    layers, save, ch = [], [], [3]
    for i, (f, n, m, args) in enumerate(d['backbone'] + d['head']):
        args = [nc if a == 'nc' else (ast.literal_eval(a) if isinstance(a, str) and a not in ('nearest', 'anchors')
                                      else a) for a in args]
        n = max(round(n * depth), 1) if n > 1 else n
        if m in ('Conv', 'C2f', 'SPPF'):
            cls = {'Conv': Conv, 'C2f': C2f, 'SPPF': SPPF}[m]
            c1, c2 = ch[f], args[0]
            if c2 != nc:
                c2 = make_divisible(min(c2, max_ch) * width, 8)
            args = [c1, c2, *args[1:]]
            if m == 'C2f':
                args.insert(2, n)
                n = 1
        elif m == 'nn.Upsample':
            cls, c2 = nn.Upsample, ch[f]
        elif m == 'Concat':
            cls, c2 = Concat, sum(ch[x] for x in f)
        elif m == 'Detect':
            head = _detect(args, ch, f, d)
            cls, args = (lambda: head), []
        elif extra and extra(m, ch[f], args, n, width, max_ch, nc):
            factory, c2, n = extra(m, ch[f], args, n, width, max_ch, nc)
            cls, args = (lambda: factory()), []
        else:
            raise SystemExit('torch_model_golden: module %s is not re-typed here' % m)
        mod = nn.Sequential(*(cls(*args) for _ in range(n))) if n > 1 else cls(*args)
        mod.f, mod.i = f, i
        layers.append(mod)
        if i == 0:
            ch = []
        ch.append(c2 if m != 'Detect' else 0)
    return nn.Sequential(*layers)


def is_head(m):
    """A detection head: v8's Detect or YOLOv5's DetectV5."""
    return isinstance(m, (Detect, DetectV5))


class Model(nn.Module):
    def __init__(self, d, scale, extra=None):
        super().__init__()
        self.model = parse_model(d, scale, extra)
        det = self.model[-1]
        for mod in self.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.eps = 1e-3  # ultralytics' and YOLOv5's initialize_weights
        with torch.no_grad():  # strides from a 256x256 forward, as DetectionModel does
            feats = self._features(torch.zeros(1, 3, 256, 256))
            det.stride = torch.tensor([256 / f.shape[-2] for f in feats])
            if not isinstance(det, Detect):  # YOLOv5: anchors in stride units
                det.anchors /= det.stride.view(-1, 1, 1)

    def _run(self, x, stop_at_detect):
        y = []
        for m in self.model:
            if m.f != -1:
                x = y[m.f] if isinstance(m.f, int) else [x if j == -1 else y[j] for j in m.f]
            if stop_at_detect and is_head(m):
                return x
            x = m(x)
            y.append(x)
        return x

    def _features(self, x):
        return self._run(x, True)

    def forward(self, x):
        return self._run(x, False)
