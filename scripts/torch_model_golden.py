#!/usr/bin/python3
"""Writes a whole-model PyTorch golden for `ablate model --weights/--input/--expect`.

Usage:
    /usr/bin/python3 scripts/torch_model_golden.py FILE.yaml SCALE IMGSZ SEED OUT.safetensors

Builds the YAML the way ultralytics' parse_model does (MODULES.md 2.1) from
plain-torch re-typings of the modules it needs (Conv, C2f from
torch_golden.py; SPPF, DFL, Detect, Concat here, from ultralytics
nn/modules/{block,head,conv}.py), every BatchNorm eps 1e-3 as
initialize_weights sets it, random weights (torch_golden.randomize_weights),
eval mode, one forward of a 1x3xIMGSZxIMGSZ N(0,1) image.  Writes one
file: the state_dict (keys model.{i}.*), `x` and `y` (Detect's decoded
(1, 4 + nc, A) output).  Check it with
    ablate model FILE.yaml --scale SCALE --weights OUT --input OUT --expect OUT
Only the rows above: enough for the yolov8 graph; other modules stop with
a message.  tests/goldens/model_yolov8t_64.safetensors comes from
    scripts/torch_model_golden.py tests/goldens/yolov8-golden.yaml t 64 0 tests/goldens/model_yolov8t_64.safetensors
(a narrow yolov8: the full yolov8n state_dict is 12.7 MB; `... experiments/models/yolov8.yaml n 64 0 OUT`
makes that one).
"""
import ast
import math
import os
import sys

import torch
import torch.nn as nn
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_golden as G  # noqa: E402
from torch_model_seeds import seed_layer  # noqa: E402


class SPPF(nn.Module):
    """ultralytics SPPF (MODULES.md 3.5)."""

    def __init__(self, c1, c2, k=5):
        super().__init__()
        c_ = c1 // 2
        self.cv1 = G.Conv(c1, c_, 1, 1)
        self.cv2 = G.Conv(c_ * 4, c2, 1, 1)
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
        self.cv2 = nn.ModuleList(nn.Sequential(G.Conv(x, c2, 3), G.Conv(c2, c2, 3),
                                               nn.Conv2d(c2, 4 * self.reg_max, 1)) for x in ch)
        self.cv3 = nn.ModuleList(nn.Sequential(G.Conv(x, c3, 3), G.Conv(c3, c3, 3),
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


def parse_model(d, scale):
    """ultralytics parse_model, for Conv, C2f, SPPF, nn.Upsample, Concat, Detect."""
    nc = d['nc']
    depth, width, max_ch = d['scales'][scale]
    layers, save, ch = [], [], [3]
    for i, (f, n, m, args) in enumerate(d['backbone'] + d['head']):
        args = [nc if a == 'nc' else (ast.literal_eval(a) if isinstance(a, str) and a != 'nearest' else a)
                for a in args]
        n = max(round(n * depth), 1) if n > 1 else n
        if m in ('Conv', 'C2f', 'SPPF'):
            cls = {'Conv': G.Conv, 'C2f': G.C2f, 'SPPF': SPPF}[m]
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
            cls = Detect
            args.append([ch[x] for x in f])
        elif seed_layer(m, ch[f], args, n, width, max_ch, nc):  # scripts/torch_model_seeds.py
            factory, c2, n = seed_layer(m, ch[f], args, n, width, max_ch, nc)
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


class Model(nn.Module):
    def __init__(self, d, scale):
        super().__init__()
        self.model = parse_model(d, scale)
        det = self.model[-1]
        for mod in self.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.eps = 1e-3  # ultralytics initialize_weights
        with torch.no_grad():  # strides from a 256x256 forward, as DetectionModel does
            feats = self._features(torch.zeros(1, 3, 256, 256))
            det.stride = torch.tensor([256 / f.shape[-2] for f in feats])

    def _run(self, x, stop_at_detect):
        y = []
        for m in self.model:
            if m.f != -1:
                x = y[m.f] if isinstance(m.f, int) else [x if j == -1 else y[j] for j in m.f]
            if stop_at_detect and isinstance(m, Detect):
                return x
            x = m(x)
            y.append(x)
        return x

    def _features(self, x):
        return self._run(x, True)

    def forward(self, x):
        return self._run(x, False)


def main(argv):
    if len(argv) != 6:
        sys.stderr.write(__doc__)
        return 2
    path, scale, imgsz, seed, prefix = argv[1], argv[2], int(argv[3]), int(argv[4]), argv[5]
    with open(path) as f:
        d = yaml.safe_load(f)
    m = Model(d, scale)
    gen = torch.Generator().manual_seed(seed)
    for sub in m.model:
        G.randomize_weights(sub, gen)
    m.model[-1].dfl.conv.weight.data[:] = torch.arange(16, dtype=torch.float).view(1, 16, 1, 1)
    m.eval()
    x = torch.randn(1, 3, imgsz, imgsz, generator=gen)
    with torch.no_grad():
        y = m(x)
    sd = {k: v for k, v in m.state_dict().items()}
    meta = {'yaml': os.path.basename(path), 'scale': scale, 'imgsz': imgsz, 'seed': seed}
    sd.update({'x': x, 'y': y})
    G.write_safetensors(prefix, sd, meta)
    print('%s: y %s, %d tensors' % (prefix, tuple(y.shape), len(sd)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
