-- experiments/dynamicconv_experts.lua — what DynamicConv's num_experts costs, layer
-- by layer, against the Conv(k=3, s=2) it replaces in YOLOv8n (seed 003).
-- padding '' (timm: ((s-1) + d(k-1)) // 2 = 1 here), as the seed YAML's
-- DynamicConv(c1, c2, 3, 2); no BN, no activation (MODULES.md 5.4 item 1).
--
-- Run: make sweep EXP=dynamicconv_experts        (full: 5 num_experts values x 6 layers)
--      make sweep EXP=dynamicconv_experts QUICK=1 (about a minute)
local yolo = require "yolov8n_shapes"

return sweep {
  name        = "dynamicconv_experts",
  description = "DynamicConv num_experts at the six strided YOLOv8n Conv layers, imgsz 640",
  module      = "DynamicConv",
  baseline    = { module = "Conv", k = 3 },            -- Conv(c1, c2, 3, 2): what DynamicConv replaces
  shapes      = yolo.layers { 1, 3, 5, 7, 16, 19 },    -- (c1 -> c2 @ HxW, stride 2)
  args        = { num_experts = { 1, 2, 4, 8, 16 }, kernel_size = 3 },
  backends    = { "ref", "gen", "torch", "ort", "openvino" },  -- peers: torch, ort, openvino (make peers), if installed
  threads     = { 1, 2 },
  init        = "random",                               -- sigmoid gates spread over (0, 1)
  charts = {
    { y = "median_ms",         by = "layer", threads = 1, title = "DynamicConv latency vs num_experts (1 thread), dashed: Conv k3 s2" },
    { y = "median_ms",         by = "layer", threads = 2, title = "DynamicConv latency vs num_experts (2 threads), dashed: Conv k3 s2" },
    { y = "ratio_vs_baseline", by = "layer", threads = 2, title = "DynamicConv / Conv latency (2 threads)" },
    { y = "params",            by = "layer", threads = 1, title = "Parameters vs num_experts, dashed: Conv" },
    { y = "flops_thop",        by = "layer", threads = 1, title = "FLOPs as thop/ultralytics count them (the dynamic conv counts 0)" },
    { y = "flops_full",        by = "layer", threads = 1, title = "Full FLOPs (routing and kernel mixing included)" },
    { y = "speedup_vs_ref",    by = "layer", threads = 1, title = "Generated kernel speed-up over the scalar reference" },
  },
  quick = {
    args    = { num_experts = { 1, 4, 16 } },
    threads = { 2 },
    charts  = {
      { y = "median_ms",         by = "layer", threads = 2, title = "DynamicConv latency vs num_experts (quick), dashed: Conv" },
      { y = "ratio_vs_baseline", by = "layer", threads = 2, title = "DynamicConv / Conv latency (quick)" },
    },
  },
}
