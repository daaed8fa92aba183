"""The seed modules inside a whole-model YAML: `seed_layer` is the `extra`
hook of ultralytics.parse_model / Model, so scripts/torch_model_golden.py and
the PyTorch, ONNX Runtime and OpenVINO model peers build the seed YAMLs.

The mapping from a YAML layer [from, n, Module, args] to the module's
arguments is the C harness's (kernels/*.c `yaml_map`, MODULES.md 2.1):

  std    args [c2, a1, a2, ...]: cin = c1, cout = make_divisible(min(c2, max_ch) * width, 8),
         a1, a2 fill the positional names; n > 1 builds n copies
  std_n  as std, and n goes into the argument "n" (CSP blocks); built once
  same   channels kept (cin = cout = c1); every YAML arg fills the positional names
  ignore channels kept, YAML args ignored (ACmix)

The modules are registry.build_module's (the goldens' code); YAML
booleans become 1/0 as the kv parser expects.
"""
import math

from .registry import build_module

# name: (branch, cin, cout, positional names)
SEEDS = {
    'AKConv': ('std', 'inc', 'outc', 'num_param|stride|bias'),
    'ACmix': ('ignore', 'in_planes', 'out_planes', ''),
    'DYConv2d': ('std', 'in_planes', 'out_planes', 'kernel_size|stride'),
    'DynamicConv': ('std', 'in_features', 'out_features',
                    'kernel_size|stride|padding|dilation|groups|bias|num_experts'),
    'GhostModule': ('std', 'inp', 'oup', 'kernel_size|stride'),
    'C2f_DynamicConv': ('std_n', 'c1', 'c2', 'shortcut|g|e'),
    'C2f_GhostModule_DynamicConv': ('std_n', 'c1', 'c2', 'shortcut|g|e'),
    'C3': ('std_n', 'c1', 'c2', 'shortcut|g|e'),
    'C3_DCNv3_DLKA': ('std_n', 'c1', 'c2', 'shortcut|g|e'),
}


def _text(v):
    return str(int(v)) if isinstance(v, bool) else str(v)


def seed_layer(m, c1, args, n, width, max_ch, nc):
    """(factory, c2, n copies) for a seed module layer, or None when m is
    not a seed module.  factory() builds one module."""
    if m not in SEEDS:
        return None
    branch, cin, cout, positional = SEEDS[m]
    names = [p for p in positional.split('|') if p]
    kv = {cin: c1}
    if branch in ('std', 'std_n'):
        c2 = args[0]
        if c2 != nc:
            c2 = math.ceil(min(c2, max_ch) * width / 8) * 8
        rest = args[1:]
    else:
        c2, rest = c1, ([] if branch == 'ignore' else args)
    kv[cout] = c2
    for name, v in zip(names, rest):
        kv[name] = _text(v)
    if branch == 'std_n':
        kv['n'], n = n, 1
    if m == 'DYConv2d':  # kernels/dyconv.c dyconv_yaml_finish: a "same" convolution
        kv['padding'] = int(kv['kernel_size']) // 2
    kv = {k: _text(v) for k, v in kv.items()}
    return (lambda: build_module(m, kv)[0]), c2, n
