-- experiments/dyconv_experts.lua — what DYConv2d's K (experts) costs, layer
-- by layer, against the Conv(k=3, s=2) it replaces in YOLOv8n (seed 002).
-- padding = k // 2 = 1, as the harness maps the YAML (MODULES.md 5.3 item 1);
-- temperature 34 (the class default; routing cost does not depend on it).
--
-- Run: make sweep EXP=dyconv_experts        (full: 5 K values x 6 layers)
--      make sweep EXP=dyconv_experts QUICK=1 (about a minute)
local yolo = require "yolov8n_shapes"

return sweep {
  name        = "dyconv_experts",
  description = "DYConv2d experts K at the six strided YOLOv8n Conv layers, imgsz 640",
  module      = "DYConv2d",
  baseline    = { module = "Conv", k = 3 },            -- Conv(c1, c2, 3, 2): what DYConv2d replaces
  shapes      = yolo.layers { 1, 3, 5, 7, 16, 19 },    -- (c1 -> c2 @ HxW, stride 2)
  args        = { K = { 1, 2, 4, 8, 16 }, kernel_size = 3, padding = 1 },
  backends    = { "ref", "gen", "torch", "ort", "openvino" },  -- peers: torch, ort, openvino (make peers), if installed
  threads     = { 1, 2 },
  init        = "random",                               -- attention far from uniform
  charts = {
    { y = "median_ms",         by = "layer", threads = 1, title = "DYConv2d latency vs K (1 thread), dashed: Conv k3 s2" },
    { y = "median_ms",         by = "layer", threads = 2, title = "DYConv2d latency vs K (2 threads), dashed: Conv k3 s2" },
    { y = "ratio_vs_baseline", by = "layer", threads = 2, title = "DYConv2d / Conv latency (2 threads)" },
    { y = "params",            by = "layer", threads = 1, title = "Parameters vs K, dashed: Conv" },
    { y = "flops_thop",        by = "layer", threads = 1, title = "FLOPs as thop/ultralytics count them (the dynamic conv counts 0)" },
    { y = "flops_full",        by = "layer", threads = 1, title = "Full FLOPs (routing and kernel mixing included)" },
    { y = "speedup_vs_ref",    by = "layer", threads = 1, title = "Generated kernel speed-up over the scalar reference" },
  },
  quick = {
    args    = { K = { 1, 4, 16 } },
    threads = { 2 },
    charts  = {
      { y = "median_ms",         by = "layer", threads = 2, title = "DYConv2d latency vs K (quick), dashed: Conv" },
      { y = "ratio_vs_baseline", by = "layer", threads = 2, title = "DYConv2d / Conv latency (quick)" },
    },
  },
}
