-- experiments/acmix_kernel_att.lua — what ACmix's attention window and head
-- count cost at the three YOLOv8n neck places where the seed YAML (version 1,
-- seed 001) inserts it, imgsz 640.
--
-- ACmix is *inserted* after the neck C2f outputs (layers 15, 18, 21 of
-- yolov8n become 16, 20, 24), ACmix(c, c) at stride 1: it replaces nothing,
-- so its whole cost is added.  Two baselines, at the same place: the
-- Conv(c, c, 3, 1) a user could insert instead (the primary one, listed
-- first: dashed lines and every "vs base" ratio are against it), and the
-- C2f(c, c, n=1) the ACmix follows (role "baseline2": its own rows in the
-- summary and report, with its ratio to the Conv), which says how much the
-- insertion adds to the block it extends.
--
-- Run: make sweep EXP=acmix_kernel_att          (about 5-10 minutes on 2 cores)
--      make sweep EXP=acmix_kernel_att QUICK=1  (about a minute)

-- (layer = the ACmix's index in the seed YAML, c channels at imgsz/stride)
local function neck_places(imgsz)
  imgsz = imgsz or 640
  local places = {
    { layer = "L16", c = 64,  div = 8 },  -- after C2f 15 (P3/8)
    { layer = "L20", c = 128, div = 16 }, -- after C2f 19 (P4/16)
    { layer = "L24", c = 256, div = 32 }, -- after C2f 23 (P5/32)
  }
  local rows = {}
  for _, p in ipairs(places) do
    local hw = imgsz // p.div
    rows[#rows + 1] = { layer = p.layer, c1 = p.c, c2 = p.c, h = hw, w = hw, stride = 1 }
  end
  return rows
end

return sweep {
  name        = "acmix_kernel_att",
  description = "ACmix kernel_att x head at the three YOLOv8n neck places of the seed YAML v1, imgsz 640",
  module      = "ACmix",
  -- first = primary: Conv(c, c, 3, 1); then the C2f(c, c, n=1) it follows
  baseline    = { { module = "Conv", k = 3, s = 1 }, { module = "C2f", n = 1 } },
  shapes      = neck_places(640),
  args        = { kernel_att = { 3, 5, 7, 9, 11 }, head = { 1, 2, 4, 8 } },
  variants    = { "auto" },                            -- fold/split: ablate list; tests check all
  -- the PyTorch peer (seconds per call at 64 @ 80^2, 120 configurations)
  -- would not fit the 15 minutes: experiments/acmix_perf.lua times it at
  -- the default configuration instead
  backends    = { "ref", "gen", "torch", "ort", "openvino" },
  threads     = { 1, 2 },
  init        = "random",
  charts = {
    { y = "median_ms",         by = "layer", threads = 1, title = "ACmix latency vs kernel_att, per head (1 thread), dashed: Conv k3 s1" },
    { y = "median_ms",         by = "layer", threads = 2, title = "ACmix latency vs kernel_att, per head (2 threads), dashed: Conv k3 s1" },
    { y = "ratio_vs_baseline", by = "layer", threads = 2, title = "ACmix / Conv(c,c,3,1) latency (2 threads)" },
    { y = "flops_full",        by = "layer", threads = 1, title = "Full FLOPs vs kernel_att (attention, softmax, shift conv), dashed: Conv" },
    { y = "flops_thop",        by = "layer", threads = 1, title = "FLOPs as thop/ultralytics count them, dashed: Conv" },
    { y = "params",            by = "layer", threads = 1, title = "Parameters (kernel_att adds none), dashed: Conv" },
    { y = "gflops",            by = "layer", threads = 1, title = "Achieved GFLOP/s (flops_full, 1 thread)" },
    { y = "speedup_vs_ref",    by = "layer", threads = 1, title = "Generated kernel speed-up over the scalar reference" },
  },
  quick = {
    args     = { kernel_att = { 3, 7, 11 }, head = { 1, 4 } },
    -- 1 thread: on a shared 2-core machine a co-tenant inflates 2-thread
    -- timings many times over (MACHINE.md), and quick runs do not retry long
    threads  = { 1 },
    charts   = {
      { y = "median_ms",         by = "layer", threads = 1, title = "ACmix latency vs kernel_att (quick, 1 thread), dashed: Conv" },
      { y = "ratio_vs_baseline", by = "layer", threads = 1, title = "ACmix / Conv latency (quick, 1 thread)" },
      { y = "flops_full",        by = "layer", threads = 1, title = "Full FLOPs vs kernel_att (quick), dashed: Conv" },
    },
  },
}
