"""YOLOv5's anchor-based Detect head (row DetectV5; MODULES.md 3.7),
re-typed from YOLOv5 v7.0 models/yolo.py, eval forward.  Its own file so
that the whole-model builder (ultralytics.py, for YOLOv5-style YAMLs) and
the head goldens (detect_v5.py) both import it without a circle."""
import torch
import torch.nn as nn


class DetectV5(nn.Module):
    """YOLOv5 v7.0 models/yolo.py Detect, eval forward (MODULES.md 3.7).
    `anchors` is the buffer as a built model holds it: in stride units
    (DetectionModel divides the YAML's pixel sizes by the strides)."""

    def __init__(self, nc, anchors, ch, stride):
        super().__init__()
        self.nc, self.no = nc, nc + 5
        self.nl, self.na = len(anchors), len(anchors[0]) // 2
        self.register_buffer('anchors', torch.tensor(anchors).float().view(self.nl, -1, 2))
        self.m = nn.ModuleList(nn.Conv2d(x, self.no * self.na, 1) for x in ch)
        self.stride = torch.tensor(stride, dtype=torch.float32)

    def _make_grid(self, nx, ny, i):
        shape = 1, self.na, ny, nx, 2
        y, x = torch.arange(ny, dtype=torch.float32), torch.arange(nx, dtype=torch.float32)
        yv, xv = torch.meshgrid(y, x, indexing='ij')
        grid = torch.stack((xv, yv), 2).expand(shape) - 0.5  # y = 2.0 * x - 0.5
        anchor_grid = (self.anchors[i] * self.stride[i]).view((1, self.na, 1, 1, 2)).expand(shape)
        return grid, anchor_grid

    def forward(self, x):
        z = []
        for i in range(self.nl):
            t = self.m[i](x[i])
            bs, _, ny, nx = t.shape
            t = t.view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).contiguous()
            grid, anchor_grid = self._make_grid(nx, ny, i)
            xy, wh, conf = t.sigmoid().split((2, 2, self.nc + 1), 4)
            xy = (xy * 2 + grid) * self.stride[i]
            wh = (wh * 2) ** 2 * anchor_grid
            z.append(torch.cat((xy, wh, conf), 4).view(bs, self.na * nx * ny, self.no))
        return torch.cat(z, 1)
