"""torchref: the PyTorch reference modules of ablate's parity tests and
peers (Debian's python3-torch 1.13 alone: no ultralytics, timm, einops,
torchvision or safetensors packages).

One module per seed file or module family; the drivers at scripts/ top
level (torch_golden.py, make_parity_case.py, torch_peer.py,
torch_model_golden.py, torch_model_peer.py) import this package, and
nothing here imports a driver.  Modules import each other downward only,
in this order (a module may import any module above it in the list):

    io           safetensors read/write by hand, state_tensors
    draw         randn, uniform: the two random draws
    yolov5       DetectV5: YOLOv5's anchor-based head
    ultralytics  autopad, Conv, Bottleneck, C2f, SPPF, Concat, DFL, Detect,
                 make_anchors, make_divisible, parse_model, Model
    akconv       AKConv (seed 000), its sampling coordinates, border rule
    acmix        ACmix (seed 001)
    dyconv       DYConv2d, DynamicConv / CondConv2d (seeds 002, 003)
    ghost        GhostModule, C2f_GhostModule_DynamicConv (seed 003)
    dcnv3        DCNv3_pytorch (seed 004)
    dlka         C3, deformable_LKA_Attention, C3_DCNv3_DLKA (seed 004),
                 their argument names
    randomize    the random-weight draws (randomize_weights, _offsets, _module)
    detect_v5    both heads' arguments, cases and draw
    registry     module names and keys -> builders, key=value parsing
    case         make_case: one module built, drawn, fed and run
    seeds        the seed modules inside a whole-model YAML (parse_model's extra hook)

tests/test_scripts_imports.c checks the one-way rule (no circle among
scripts/*.py and scripts/torchref/*.py, no driver imported from here).
"""
