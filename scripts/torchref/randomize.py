"""The random-weight draws of the goldens, the parity cases and the peers:
conv weights of 1/sqrt(fan_in) scale and BatchNorm statistics far from
identity (a wrong eps or a skipped BN shows), each family's own tensors by
its own rule, AKConv's offset predictors by the typical offset in pixels."""
import math

import torch
import torch.nn as nn

from .acmix import ACmix
from .akconv import AKConv
from .dcnv3 import randomize_dcnv3
from .dlka import is_dlka
from .dlka import randomize as randomize_dlka
from .draw import randn, uniform
from .dyconv import randomize_dynamic
from .ghost import randomize_ghost


def randomize_weights(m, gen):
    """Random conv weights (1/sqrt(fan_in) scale) and BN statistics that are far
    from identity, so a wrong eps or a skipped BN shows.  Offset predictors
    (AKConv.p_conv) are left to randomize_offsets()."""
    skip = {id(m.p_conv)} if isinstance(m, AKConv) else set()
    with torch.no_grad():
        for sub in m.modules():
            if id(sub) in skip:
                continue
            if isinstance(sub, nn.Conv2d):
                fan_in = sub.weight[0].numel()
                sub.weight.copy_(randn(sub.weight.shape, gen, 1.0 / math.sqrt(fan_in)))
                if sub.bias is not None:
                    sub.bias.copy_(randn(sub.bias.shape, gen, 0.5))
            elif isinstance(sub, nn.BatchNorm2d):
                c = sub.num_features
                sub.weight.copy_(uniform(c, gen, 0.5, 1.5))
                sub.bias.copy_(randn(c, gen, 0.5))
                sub.running_mean.copy_(randn(c, gen, 0.5))
                sub.running_var.copy_(uniform(c, gen, 0.5, 2.0))
        if isinstance(m, ACmix):  # the mix weights too, so neither branch is a plain half
            m.rate1.copy_(uniform(1, gen, 0.3, 1.2))
            m.rate2.copy_(uniform(1, gen, 0.3, 1.2))
    randomize_dynamic(m, gen)
    randomize_ghost(m, gen)
    randomize_dcnv3(m, gen)


def randomize_offsets(m, gen, scale):
    """AKConv.p_conv weights such that, for x ~ N(0,1), each offset is roughly
    N(bias, scale^2): `scale` is the typical offset in pixels."""
    if not isinstance(m, AKConv):
        return
    w = m.p_conv.weight
    with torch.no_grad():
        w.copy_(randn(w.shape, gen, scale / math.sqrt(w[0].numel())))
        m.p_conv.bias.copy_(randn(m.p_conv.bias.shape, gen, 0.5 * scale))


def randomize_module(m, gen, offset_scale):
    """Weights and offset predictors as the goldens draw them: the D-LKA
    family by dlka.py's rule (offsets of about offset_scale pixels), the
    others by randomize_weights, then AKConv's offsets."""
    if is_dlka(m):
        randomize_dlka(m, gen, offset_scale)
        return
    randomize_weights(m, gen)
    randomize_offsets(m, gen, offset_scale)
