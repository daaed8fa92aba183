#!/usr/bin/python3
"""Writes a whole-model PyTorch golden for `ablate model --weights/--input/--expect`.

Usage:
    /usr/bin/python3 scripts/torch_model_golden.py FILE.yaml SCALE IMGSZ SEED OUT.safetensors

Builds the YAML the way ultralytics' parse_model does (MODULES.md 2.1) from
plain-torch re-typings of the modules it needs (Conv, C2f, SPPF, DFL,
Detect, Concat from ultralytics nn/modules/{block,head,conv}.py: the
package scripts/torchref, ultralytics.py), every BatchNorm eps 1e-3 as
initialize_weights sets it, random weights (torchref.randomize.randomize_weights),
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
import os
import sys

import torch
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchref.io import write_safetensors  # noqa: E402
from torchref.randomize import randomize_weights  # noqa: E402
from torchref.seeds import seed_layer  # noqa: E402
from torchref.ultralytics import Model  # noqa: E402


def main(argv):
    if len(argv) != 6:
        sys.stderr.write(__doc__)
        return 2
    path, scale, imgsz, seed, prefix = argv[1], argv[2], int(argv[3]), int(argv[4]), argv[5]
    with open(path) as f:
        d = yaml.safe_load(f)
    m = Model(d, scale, seed_layer)
    gen = torch.Generator().manual_seed(seed)
    for sub in m.model:
        randomize_weights(sub, gen)
    if hasattr(m.model[-1], 'dfl'):  # v8's head; YOLOv5's anchor-based head has none
        m.model[-1].dfl.conv.weight.data[:] = torch.arange(16, dtype=torch.float).view(1, 16, 1, 1)
    m.eval()
    x = torch.randn(1, 3, imgsz, imgsz, generator=gen)
    with torch.no_grad():
        y = m(x)
    sd = {k: v for k, v in m.state_dict().items()}
    meta = {'yaml': os.path.basename(path), 'scale': scale, 'imgsz': imgsz, 'seed': seed}
    sd.update({'x': x, 'y': y})
    write_safetensors(prefix, sd, meta)
    print('%s: y %s, %d tensors' % (prefix, tuple(y.shape), len(sd)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
