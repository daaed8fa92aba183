-- experiments/akconv_params.lua — what AKConv's num_param costs, layer by
-- layer, against the Conv(k=3, s=2) it replaces in YOLOv8n (seed 000).
--
-- Run: make sweep EXP=akconv_params        (long: with every peer, 16 shards spanned 86 min on 2 cores: docs/peers.md)
--      make sweep EXP=akconv_params QUICK=1 (a minute: fewer values, short timing)
local yolo = require "yolov8n_shapes"

return sweep {
  name        = "akconv_params",
  description = "AKConv num_param at the six YOLOv8n layers the seed YAML replaces, imgsz 640",
  module      = "AKConv",
  baseline    = { module = "Conv", k = 3 },            -- Conv(c1, c2, 3, 2): what AKConv replaces
  shapes      = yolo.layers { 1, 3, 5, 7, 16, 19 },    -- (c1 -> c2 @ HxW, stride 2)
  args        = { num_param = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13 }, grid = "ij" },
  backends    = { "ref", "gen", "torch", "ort", "openvino" },  -- peers: torch, ort, openvino (make peers), if installed
  threads     = { 1, 2 },
  init        = "random",                               -- offsets of a few pixels, as after training
  charts = {
    { y = "median_ms",         by = "layer", threads = 1, title = "AKConv latency vs num_param (1 thread), dashed: Conv k3 s2" },
    { y = "median_ms",         by = "layer", threads = 2, title = "AKConv latency vs num_param (2 threads), dashed: Conv k3 s2" },
    { y = "ratio_vs_baseline", by = "layer", threads = 2, title = "AKConv / Conv latency (2 threads)" },
    { y = "params",            by = "layer", threads = 1, title = "Parameters vs num_param, dashed: Conv" },
    { y = "flops_thop",        by = "layer", threads = 1, title = "FLOPs as thop/ultralytics count them" },
    { y = "flops_full",        by = "layer", threads = 1, title = "Full FLOPs (sampling included)" },
    { y = "speedup_vs_ref",    by = "layer", threads = 1, title = "Generated kernel speed-up over the scalar reference" },
  },
  quick = {
    args    = { num_param = { 1, 5, 13 } },
    threads = { 2 },
    charts  = {
      { y = "median_ms",         by = "layer", threads = 2, title = "AKConv latency vs num_param (quick), dashed: Conv" },
      { y = "ratio_vs_baseline", by = "layer", threads = 2, title = "AKConv / Conv latency (quick)" },
    },
  },
}
