"""One parity case: a module built from its arguments, its random draw,
an N(0,1) input and the forward, as the goldens and make_parity_case.py
make them (AKConv's offsets re-drawn until they clear the clamp bounds)."""
import torch

from .akconv import BORDER_MARGIN, AKConv, border_stats
from .dcnv3 import DCNv3_pytorch, sample_stats
from .dlka import border_stats as dlka_border_stats
from .dlka import is_dlka
from .dlka import randomize as randomize_dlka
from .draw import randn
from .randomize import randomize_offsets, randomize_weights
from .registry import build_module


def make_case(module, kv, batch, h, w, seed, offset_scale):
    """Builds and randomizes one case.  For AKConv the offset weights are
    re-drawn with a new seed until every coordinate clears the clamp bounds by
    BORDER_MARGIN; for the D-LKA family offset_scale is the typical offset in
    pixels (dlka.randomize).  Returns (module, x, y, info dict)."""
    m, c_in = build_module(module, kv)
    gen = torch.Generator().manual_seed(seed)
    dlka = is_dlka(m)
    if dlka:  # dlka.py's draw, as its goldens: weights and offsets at once
        randomize_dlka(m, gen, offset_scale)
    else:
        randomize_weights(m, gen)
    x = randn((batch, c_in, h, w), gen)
    info = {'seed': seed}
    if dlka:  # [(layer, fraction of samples off the map, fraction crossing its border)]
        info['layers'] = dlka_border_stats(m, x)
    elif isinstance(m, DCNv3_pytorch):
        info['layers'] = [('dcnv3',) + sample_stats(m, x)]
    if isinstance(m, AKConv):
        for attempt in range(1000):
            off_seed = seed * 1000 + attempt
            randomize_offsets(m, torch.Generator().manual_seed(off_seed), offset_scale)
            margin, outside = border_stats(m, x)
            if margin >= BORDER_MARGIN:
                break
        else:
            raise RuntimeError("%s %s: no offsets clear the border margin" % (module, kv))
        info.update(offset_seed=off_seed, margin=margin, outside=outside)
    with torch.no_grad():
        y = m(x)
    return m, x, y, info
