-- experiments/acmix_perf.lua — ACmix's default configuration (kernel_att 7,
-- head 4) at the three YOLOv8n neck places of the seed YAML v1, every
-- generated variant against the scalar reference and PyTorch 1.13 eager
-- (scripts/torch_peer.py, same run), 1 and 2 threads.  The benchmark behind
-- the README's ACmix speed table.
--
-- Run: make sweep EXP=acmix_perf   (about 5-10 minutes on 2 shared cores,
--      mostly PyTorch: 50-160 ms a call, re-timed when a co-tenant is busy)
return sweep {
  name        = "acmix_perf",
  description = "ACmix(c, c) generated vs reference vs PyTorch eager at the YOLOv8n neck, imgsz 640",
  module      = "ACmix",
  baseline    = { module = "Conv", k = 3 },
  shapes      = {
    { layer = "L16", c1 = 64,  c2 = 64,  h = 80, w = 80, stride = 1 },
    { layer = "L20", c1 = 128, c2 = 128, h = 40, w = 40, stride = 1 },
    { layer = "L24", c1 = 256, c2 = 256, h = 20, w = 20, stride = 1 },
  },
  args        = { kernel_att = { 7 }, head = 4 },
  variants    = { "auto", "fold", "split" },
  backends    = { "ref", "gen", "torch", "ort", "openvino" },
  threads     = { 1, 2 },
  init        = "random",
  charts = {
    { y = "median_ms",      by = "layer", threads = 1, title = "ACmix(c, c) latency, 1 thread, dashed: Conv k3 s1" },
    { y = "median_ms",      by = "layer", threads = 2, title = "ACmix(c, c) latency, 2 threads, dashed: Conv k3 s1" },
    { y = "speedup_vs_ref", by = "layer", threads = 1, title = "Generated ACmix over the scalar reference" },
  },
  quick = { threads = { 1 }, variants = { "auto" } },
}
