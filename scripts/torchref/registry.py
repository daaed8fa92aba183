"""Modules by name: the accepted keys per module with their defaults,
ablate's spellings of the names, `key=value` parsing into typed, complete
arguments, and building the torch module from them (the goldens,
make_parity_case.py and torch_peer.py all build through build_module, so
they mean the same modules)."""
import torch.nn as nn

from .acmix import ACmix
from .akconv import AKConv
from .dcnv3 import DCNV3_ARG_TYPES, DCNV3_MODULE_KEYS, DCNV3_MODULE_NAMES, build_dcnv3
from .dlka import DLKA_ARG_TYPES, DLKA_MODULE_KEYS, DLKA_MODULE_NAMES, build_dlka
from .dyconv import DYN_ARG_TYPES, DYN_MODULE_KEYS, DYN_MODULE_NAMES, build_dynamic
from .ghost import GHOST_ARG_TYPES, GHOST_MODULE_KEYS, GHOST_MODULE_NAMES, build_ghost
from .ultralytics import C2f, SPPF, Bottleneck, Conv

BN_EPS_DEFAULT = 1e-5

# Accepted keys per module with their defaults (None = required).  Both the
# golden metadata ("c1=4 c2=8 k=3 ...") and the harness's canonical CSV args
# ("c1=64:c2=128:k=3:s=2:p=-1:...:bn_eps=1e-05") parse through this table.
MODULE_KEYS = {
    'conv': {'c1': None, 'c2': None, 'k': 1, 's': 1, 'p': -1, 'g': 1, 'd': 1, 'act': 1,
             'bn_eps': BN_EPS_DEFAULT},
    'akconv': {'inc': None, 'outc': None, 'num_param': None, 'stride': 1, 'bias': 0,
               'grid': 'ij', 'bn_eps': BN_EPS_DEFAULT},
    'acmix': {'in_planes': None, 'out_planes': None, 'kernel_att': 7, 'head': 4, 'kernel_conv': 3,
              'stride': 1, 'dilation': 1, 'bn_eps': BN_EPS_DEFAULT},
    'bottleneck': {'c1': None, 'c2': None, 'shortcut': 1, 'g': 1, 'k': 3, 'e': 0.5,
                   'bn_eps': BN_EPS_DEFAULT},
    'c2f': {'c1': None, 'c2': None, 'n': 1, 'shortcut': 0, 'g': 1, 'e': 0.5,
            'bn_eps': BN_EPS_DEFAULT},
    'sppf': {'c1': None, 'c2': None, 'k': 5, 'bn_eps': BN_EPS_DEFAULT},
}
MODULE_KEYS.update(DYN_MODULE_KEYS)
MODULE_KEYS.update(GHOST_MODULE_KEYS)
MODULE_KEYS['c2f_dynamicconv'] = GHOST_MODULE_KEYS['c2f_ghostmodule_dynamicconv']
MODULE_KEYS.update(DCNV3_MODULE_KEYS)
MODULE_KEYS.update(DLKA_MODULE_KEYS)
MODULE_NAMES = {'conv': 'Conv', 'akconv': 'AKConv', 'acmix': 'ACmix', 'bottleneck': 'Bottleneck', 'sppf': 'SPPF',
                'c2f': 'C2f'}
MODULE_NAMES.update(DYN_MODULE_NAMES)
MODULE_NAMES.update(GHOST_MODULE_NAMES)
MODULE_NAMES.update(DCNV3_MODULE_NAMES)
MODULE_NAMES.update(DLKA_MODULE_NAMES)


def parse_kv(items):
    """['a=1', 'b=x'] -> {'a': '1', 'b': 'x'}; a malformed item raises ValueError."""
    kv = {}
    for it in items:
        if '=' not in it:
            raise ValueError("expected key=value, got %r" % it)
        k, v = it.split('=', 1)
        kv[k.strip()] = v.strip()
    return kv


def resolve_args(module, kv):
    """Typed, complete argument dict for `module`; unknown or missing keys raise
    ValueError so a caller never silently benchmarks something else."""
    name = module.lower()
    if name not in MODULE_KEYS:
        raise ValueError("unknown module %r" % module)
    spec = MODULE_KEYS[name]
    unknown = set(kv) - set(spec)
    if unknown:
        raise ValueError("%s: unknown argument(s) %s" % (module, ', '.join(sorted(unknown))))
    # per module: DYConv2d's ratio is a float, Ghost's an int
    if name in GHOST_MODULE_KEYS:
        types = GHOST_ARG_TYPES
    elif name in DCNV3_MODULE_KEYS:
        types = DCNV3_ARG_TYPES
    elif name in DLKA_MODULE_KEYS:
        types = DLKA_ARG_TYPES
    else:
        types = DYN_ARG_TYPES
    out = {}
    for key, default in spec.items():
        raw = kv.get(key, default)
        if raw is None:
            raise ValueError("%s: missing argument %s" % (module, key))
        if key in types:
            out[key] = types[key](raw)
            continue
        out[key] = raw if key == 'grid' else (float(raw) if key in ('bn_eps', 'e') else int(raw))
    return out


def build_module(module, kv):
    """Returns (torch module in eval mode, number of input channels)."""
    a = resolve_args(module, kv)
    dyn = build_dynamic(module.lower(), a) or build_ghost(module.lower(), a)
    dyn = dyn or build_dcnv3(module.lower(), a)
    dyn = dyn or build_dlka(module.lower(), a)
    if dyn:
        m, c_in = dyn
    elif module.lower() == 'conv':
        m = Conv(a['c1'], a['c2'], a['k'], a['s'], None if a['p'] < 0 else a['p'],
                 a['g'], a['d'], act=bool(a['act']))
        c_in = a['c1']
    elif module.lower() == 'acmix':
        m = ACmix(a['in_planes'], a['out_planes'], a['kernel_att'], a['head'], a['kernel_conv'],
                  a['stride'], a['dilation'])
        c_in = a['in_planes']
    elif module.lower() == 'bottleneck':
        m = Bottleneck(a['c1'], a['c2'], bool(a['shortcut']), a['g'], (a['k'], a['k']), a['e'])
        c_in = a['c1']
    elif module.lower() == 'c2f':
        m = C2f(a['c1'], a['c2'], a['n'], bool(a['shortcut']), a['g'], a['e'])
        c_in = a['c1']
    elif module.lower() == 'sppf':
        m = SPPF(a['c1'], a['c2'], a['k'])
        c_in = a['c1']
    else:
        m = AKConv(a['inc'], a['outc'], a['num_param'], a['stride'], bias=bool(a['bias']),
                   grid=a['grid'])
        c_in = a['inc']
    for sub in m.modules():
        if isinstance(sub, nn.BatchNorm2d):
            sub.eps = a['bn_eps']
    return m.eval(), c_in
