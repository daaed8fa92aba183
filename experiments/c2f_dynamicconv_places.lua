-- experiments/c2f_dynamicconv_places.lua — C2f_GhostModule_DynamicConv
-- (seed 003; its YAML calls it C2f_DynamicConv) against the C2f it replaces,
-- at every C2f place of YOLOv8n, imgsz 640 (MODULES.md 5.6, 3.3).
--
-- One module, eight places: each place has its own n (1 or 2) and shortcut
-- (True in the backbone, False in the head), carried by the shape rows'
-- `args` (experiments/lib/yolov8n_shapes.lua) onto the module and the C2f
-- baseline alike.  C2f_GhostModule_DynamicConv accepts shortcut and ignores
-- it (no residual); the baseline C2f uses it.  Charts put the layers on the
-- x axis (x = "layer"), the C2f as a line of its own.
--
-- Run: make sweep EXP=c2f_dynamicconv_places          (8 places x 2 thread counts)
--      make sweep EXP=c2f_dynamicconv_places QUICK=1  (4 places, 1 thread, no reference timing)
local yolo = require "yolov8n_shapes"

return sweep {
  name        = "c2f_dynamicconv_places",
  description = "C2f_GhostModule_DynamicConv vs C2f at the eight YOLOv8n C2f places, imgsz 640",
  module      = "C2f_GhostModule_DynamicConv",
  baseline    = { module = "C2f" },                      -- what it replaces, same c1, c2, n, shortcut
  shapes      = yolo.c2f_layers { 2, 4, 6, 8, 12, 15, 18, 21 },
  backends    = { "ref", "gen", "torch", "ort", "openvino" },  -- peers: torch, ort, openvino (make peers), if installed
  threads     = { 1, 2 },
  init        = "random",                                 -- sigmoid gates spread over (0, 1)
  charts = {
    { x = "layer", y = "params",            threads = 1, title = "Parameters per C2f place (C2f: baseline line)" },
    { x = "layer", y = "flops_thop",        threads = 1, title = "FLOPs as thop/ultralytics count them (the dynamic convs count 0)" },
    { x = "layer", y = "flops_full",        threads = 1, title = "Full FLOPs (routing and expert mixing included)" },
    { x = "layer", y = "median_ms",         threads = 1, title = "Latency per C2f place (1 thread)" },
    { x = "layer", y = "median_ms",         threads = 2, title = "Latency per C2f place (2 threads)" },
    { x = "layer", y = "ratio_vs_baseline", threads = 2, title = "C2f_GhostModule_DynamicConv / C2f latency (2 threads)" },
  },
  quick = {
    shapes   = yolo.c2f_layers { 4, 8, 15, 21 },
    backends = { "gen" },
    threads  = { 1 },
    charts   = {
      { x = "layer", y = "params",            threads = 1, title = "Parameters per C2f place (quick)" },
      { x = "layer", y = "flops_thop",        threads = 1, title = "thop FLOPs per C2f place (quick)" },
      { x = "layer", y = "flops_full",        threads = 1, title = "Full FLOPs per C2f place (quick)" },
      { x = "layer", y = "median_ms",         threads = 1, title = "Latency per C2f place (quick, 1 thread)" },
      { x = "layer", y = "ratio_vs_baseline", threads = 1, title = "C2f_GhostModule_DynamicConv / C2f latency (quick)" },
    },
  },
}
