"""C3, deformable_LKA_Attention and C3_DCNv3_DLKA under ablate's argument
names, for torch_golden.build_module (hence make_parity_case.py and
torch_peer.py).

Why a file of its own: the modules are in torch_dlka.py, which imports
torch_golden (Conv, safetensors) and so cannot be imported by it at load
time.  The argument tables here are plain data that torch_golden merges into
MODULE_KEYS; torch_dlka is imported on first use only.  The arguments are
those of `ablate list` (kernels/c3.c, dlka.c, c3_dlka.c); MODULES.md 3.4,
6.2, 6.3.
"""
import torch

DLKA_VARIANTS = ('blog', 'official', 'dcnv3_lka')

DLKA_MODULE_KEYS = {
    'c3': {'c1': None, 'c2': None, 'n': 1, 'shortcut': 1, 'g': 1, 'e': 0.5, 'bn_eps': 1e-5},
    'deformable_lka_attention': {'d_model': None, 'variant': 'blog'},
    'c3_dcnv3_dlka': {'c1': None, 'c2': None, 'n': 1, 'shortcut': 1, 'g': 1, 'e': 0.5,
                      'variant': 'blog', 'bn_eps': 1e-5},
}
DLKA_MODULE_KEYS['dlka'] = DLKA_MODULE_KEYS['deformable_lka_attention']  # ablate's aliases
DLKA_MODULE_KEYS['deformable_lka'] = DLKA_MODULE_KEYS['deformable_lka_attention']
DLKA_MODULE_NAMES = {'c3': 'C3', 'deformable_lka_attention': 'deformable_LKA_Attention',
                     'dlka': 'deformable_LKA_Attention', 'deformable_lka': 'deformable_LKA_Attention',
                     'c3_dcnv3_dlka': 'C3_DCNv3_DLKA'}


def _variant(raw):
    if raw not in DLKA_VARIANTS:
        raise ValueError("variant must be one of %s (got %r)" % ('|'.join(DLKA_VARIANTS), raw))
    return raw


DLKA_ARG_TYPES = {'variant': _variant, 'e': float, 'bn_eps': float}


def _dlka():
    import torch_dlka  # on first use: it imports torch_golden
    return torch_dlka


def build_dlka(name, a):
    """(module, input channels) for a resolved argument dict, or None if not ours."""
    canonical = DLKA_MODULE_NAMES.get(name)
    if canonical is None:
        return None
    D = _dlka()
    if canonical == 'deformable_LKA_Attention':
        return D.DeformableLKAAttention(a['d_model'], a['variant']), a['d_model']
    variant = a['variant'] if canonical == 'C3_DCNv3_DLKA' else None
    return D.C3(a['c1'], a['c2'], a['n'], bool(a['shortcut']), a['g'], a['e'], variant), a['c1']


def is_dlka(m):
    """True for the modules built above (C3 covers C3_DCNv3_DLKA)."""
    D = _dlka()
    return isinstance(m, (D.C3, D.DeformableLKAAttention))


def randomize_dlka(m, gen, offset_px):
    """The goldens' draw (torch_dlka.randomize): offsets of about offset_px pixels."""
    _dlka().randomize(m, gen, offset_px)


# --------------------------------------------------------------------------
# How many samples leave the map (make_parity_case reports it)
# --------------------------------------------------------------------------

def _official_stats(layer, x):
    """(outside, crossing) for a DeformConvOfficial on input x: outside = all
    four corners dropped (torchvision: y <= -1, y >= H, ...), crossing = at
    least one corner outside."""
    off = layer.offset_net(x).double()
    B, _, H, W = x.shape
    dc = layer.deform_conv
    k = dc.weight.shape[-1]
    oh = torch.arange(H, dtype=torch.float64).view(1, H, 1)
    ow = torch.arange(W, dtype=torch.float64).view(1, 1, W)
    outside, crossing = [], []
    for t in range(k * k):
        i, j = divmod(t, k)
        ys = oh - dc.pad + i * dc.dil + off[:, 2 * t]
        xs = ow - dc.pad + j * dc.dil + off[:, 2 * t + 1]
        outside.append((ys <= -1) | (ys >= H) | (xs <= -1) | (xs >= W))
        crossing.append((ys < 0) | (ys > H - 1) | (xs < 0) | (xs > W - 1))
    return (torch.stack(outside).double().mean().item(),
            torch.stack(crossing).double().mean().item())


def border_stats(m, x):
    """[(layer name, outside, crossing)] for the two deformable layers of the
    first attention in m (empty for plain C3)."""
    D = _dlka()
    att = next((s for s in m.modules() if isinstance(s, D.DeformableLKA)), None)
    if att is None:
        return []
    inputs = {}
    layers = (('conv0', att.conv0), ('conv_spatial', att.conv_spatial))
    hooks = [layer.register_forward_pre_hook(
        lambda mod, inp, key=key: inputs.__setitem__(key, inp[0])) for key, layer in layers]
    try:
        with torch.no_grad():
            m(x)
    finally:
        for h in hooks:
            h.remove()
    out = []
    with torch.no_grad():
        for key, layer in layers:
            if isinstance(layer, D.DeformConvOfficial):
                o, c = _official_stats(layer, inputs[key])
            else:
                import torch_dcnv3
                o, c = torch_dcnv3.sample_stats(layer.deform_conv, inputs[key])
            out.append((key, o, c))
    return out
