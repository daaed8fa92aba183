#!/usr/bin/python3
"""Writes one PyTorch parity case for `ablate parity`.

Usage:
    /usr/bin/python3 scripts/make_parity_case.py MODULE key=value... \\
        [h=H w=W batch=B seed=S offset_scale=F] OUTPREFIX

    MODULE       Conv | AKConv | ACmix | Bottleneck | C2f | DYConv2d | DynamicConv |
                 GhostModule | C2f_GhostModule_DynamicConv (alias C2f_DynamicConv) |
                 DCNv3 (= DCNv3_pytorch) | C3 | deformable_LKA_Attention (= DLKA,
                 deformable_LKA) | C3_DCNv3_DLKA
    key=value    constructor arguments, as in the goldens or the results CSV
                 (Conv: c1 c2 k s p g d act bn_eps; AKConv: inc outc num_param
                 stride bias grid bn_eps; ACmix: in_planes out_planes kernel_att
                 head kernel_conv stride dilation; p=-1 or absent means autopad;
                 GhostModule: inp oup kernel_size ratio dw_size stride act
                 (relu|none) num_experts bn_eps; C2f_GhostModule_DynamicConv:
                 c1 c2 n shortcut g e bn_eps; DCNv3: channels kernel_size
                 dw_kernel_size stride pad dilation group offset_scale layout
                 center_feature_scale; C3: c1 c2 n shortcut g e bn_eps;
                 deformable_LKA_Attention: d_model variant (blog|official|
                 dcnv3_lka); C3_DCNv3_DLKA: c1 c2 n shortcut g e variant bn_eps)
    h, w, batch  input size (default 16, 16, 1)
    seed         weights and input (default 0)
    offset_scale typical AKConv / official D-LKA offset in pixels (default
                 2.0; for DCNv3 it is the module's own argument; in the D-LKA
                 family it scales the offset predictors' weights, blog
                 variant included, as the D-LKA goldens do)

Writes OUTPREFIX.weights.safetensors (state_dict), OUTPREFIX.x.safetensors
(tensor `x`) and OUTPREFIX.y.safetensors (tensor `y`), then prints the
matching command:  ablate parity MODULE key=value ... --weights W --input X --expect Y

Why: the goldens in tests/goldens are a fixed set; this makes a case of any
shape (e.g. a real YOLOv8n layer) so a suspicion can be checked on the spot.
Same module code (scripts/torchref) and same AKConv border rule as
torch_golden.py; the D-LKA family is torchref/dlka.py's (official
deformable conv: its gather version).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchref.case import make_case  # noqa: E402
from torchref.io import state_tensors, write_safetensors  # noqa: E402
from torchref.registry import MODULE_KEYS, MODULE_NAMES, parse_kv  # noqa: E402

CASE_KEYS = {'h': int, 'w': int, 'batch': int, 'seed': int, 'offset_scale': float}
CASE_DEFAULTS = {'h': 16, 'w': 16, 'batch': 1, 'seed': 0, 'offset_scale': 2.0}


def split_args(items, module=''):
    """Separates the case keys (h, w, batch, seed, offset_scale) from the
    module's constructor arguments.  A module's own argument of the same name
    (DCNv3's offset_scale) stays the module's."""
    kv = parse_kv(items)
    case = dict(CASE_DEFAULTS)
    own = MODULE_KEYS.get(module.lower(), {})
    for k, conv in CASE_KEYS.items():
        if k in kv and k not in own:
            case[k] = conv(kv.pop(k))
    return kv, case


def main(argv):
    if len(argv) < 3 or argv[1].startswith('-'):
        sys.stderr.write(__doc__)
        return 2
    module, items, prefix = argv[1], argv[2:-1], argv[-1]
    if '=' in prefix:
        sys.stderr.write('make_parity_case: the last argument must be OUTPREFIX\n')
        return 2
    try:
        name = MODULE_NAMES.get(module.lower(), module)
        kv, case = split_args(items, name)
        m, x, y, info = make_case(name, kv, case['batch'], case['h'], case['w'],
                                    case['seed'], case['offset_scale'])
    except (ValueError, RuntimeError) as e:
        sys.stderr.write('make_parity_case: %s\n' % e)
        return 1
    meta = {'module': name, 'args': ' '.join(argv[2:-1]), 'seed': str(case['seed'])}
    paths = {s: '%s.%s.safetensors' % (prefix, s) for s in ('weights', 'x', 'y')}
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    write_safetensors(paths['weights'], state_tensors(m), meta)
    write_safetensors(paths['x'], {'x': x}, meta)
    write_safetensors(paths['y'], {'y': y}, meta)
    note = ''
    if 'margin' in info:
        note = ' (border margin %.4f, %.0f%% of coordinates outside)' % (info['margin'], 100 * info['outside'])
    for layer, outside, crossing in info.get('layers', []):
        note += ' (%s: %.0f%% of samples off the map, %.0f%% crossing its border)' % (
            layer, 100 * outside, 100 * crossing)
    print('x%s -> y%s%s' % (tuple(x.shape), tuple(y.shape), note))
    print('ablate parity %s %s --weights %s --input %s --expect %s' % (
        name, ' '.join('%s=%s' % kv_ for kv_ in kv.items()), paths['weights'], paths['x'], paths['y']))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
