-- experiments/dcnv3_perf.lua — DCNv3_pytorch(c) (kernel 3, group 4, the
-- seed's configuration) at the three YOLOv8n neck resolutions, the generated
-- kernel against the scalar reference and PyTorch 1.13 eager with the seed's
-- pure-PyTorch core dcnv3_core_pytorch (scripts/torch_peer.py, same run),
-- 1 and 2 threads, beside the Conv(c, c, 3, 1) it would stand in for.  The
-- measurement behind the issue's "generated DCNv3 >= 5x PyTorch eager".
--
-- Run: make sweep EXP=dcnv3_perf           (a few minutes on 2 shared cores,
--      mostly the scalar reference and PyTorch)
--      make sweep EXP=dcnv3_perf QUICK=1   (one place, 1 thread)
return sweep {
  name        = "dcnv3_perf",
  description = "DCNv3(c) generated vs reference vs PyTorch eager (dcnv3_core_pytorch) at the YOLOv8n neck, imgsz 640",
  module      = "DCNv3",
  baseline    = { module = "Conv", k = 3, s = 1 },
  shapes      = {
    { layer = "L16", c1 = 64,  c2 = 64,  h = 80, w = 80, stride = 1 },
    { layer = "L20", c1 = 128, c2 = 128, h = 40, w = 40, stride = 1 },
    { layer = "L24", c1 = 256, c2 = 256, h = 20, w = 20, stride = 1 },
  },
  args        = { group = { 4 }, kernel_size = 3 },
  backends    = { "ref", "gen", "torch", "ort", "openvino" },
  threads     = { 1, 2 },
  init        = "random",
  charts = {
    { y = "median_ms",      by = "layer", threads = 1, title = "DCNv3(c) latency, 1 thread, dashed: Conv k3 s1" },
    { y = "median_ms",      by = "layer", threads = 2, title = "DCNv3(c) latency, 2 threads, dashed: Conv k3 s1" },
    { y = "speedup_vs_ref", by = "layer", threads = 1, title = "Generated DCNv3 over the scalar reference" },
  },
  quick = {
    shapes = { { layer = "L20", c1 = 128, c2 = 128, h = 40, w = 40, stride = 1 } },
    threads = { 1 },
    charts  = {
      { y = "median_ms",      by = "layer", threads = 1, title = "DCNv3(c) latency (quick, 1 thread), dashed: Conv k3 s1" },
      { y = "speedup_vs_ref", by = "layer", threads = 1, title = "Generated DCNv3 over the scalar reference (quick)" },
    },
  },
}
