-- experiments/dlka.lua — what C3_DCNv3_DLKA costs at the four YOLOv5n head
-- places where the seed YAML (seed 004) puts it, imgsz 640, against the
-- plain C3 with the same arguments (what it replaces: the YAML's C3
-- [c2, False] rows, n = 1, shortcut False).
--
-- Variants of its deformable_LKA_Attention(c_ = c2 / 2) (MODULES.md 6.2):
-- blog (two DCNv3 3x3 layers, the seed's code and the row's default),
-- official (xmindflow: offset convs + torchvision depthwise deformable
-- 5x5 then 7x7 dilation 3) and dcnv3_lka (DCNv3 5x5 then 7x7 d3: the
-- kernel sizes the seed's DeformConv signature asks for).  The DCNv3
-- kernel_size x group space on its own: experiments/dcnv3_kernel_group.lua.
--
-- Run: make sweep EXP=dlka           (full: 4 places x 3 variants x 1, 2 threads)
--      make sweep EXP=dlka QUICK=1   (2 places, blog and official, 1 thread)

-- YOLOv5 v6.0 head at scale n (width 0.25): layer = the C3 row's YAML
-- index, c1 = its input (the concat before it), c2 = its output.
local function head_places(imgsz)
  imgsz = imgsz or 640
  local places = {
    { layer = "L13", c1 = 256, c2 = 128, div = 16 }, -- P4/16, top-down
    { layer = "L17", c1 = 128, c2 = 64,  div = 8 },  -- P3/8 (small)
    { layer = "L20", c1 = 128, c2 = 128, div = 16 }, -- P4/16, bottom-up
    { layer = "L23", c1 = 256, c2 = 256, div = 32 }, -- P5/32
  }
  local rows = {}
  for _, p in ipairs(places) do
    local hw = imgsz // p.div
    rows[#rows + 1] = { layer = p.layer, c1 = p.c1, c2 = p.c2, h = hw, w = hw }
  end
  return rows
end

local places = head_places(640)

return sweep {
  name        = "dlka",
  description = "C3_DCNv3_DLKA attention variants vs C3 at the four YOLOv5n head places of seed 004, imgsz 640",
  module      = "C3_DCNv3_DLKA",
  baseline    = { module = "C3", n = 1, shortcut = 0 },
  shapes      = places,
  args        = { variant = { "blog", "official", "dcnv3_lka" }, n = 1, shortcut = 0 },
  -- torch: scripts/torch_peer.py; official = torchref/dlka.py's gather deformable
  -- conv (no torchvision in Debian's torch 1.13), ~0.25 s a call at L17
  backends    = { "ref", "gen", "torch", "ort", "openvino" },
  threads     = { 1, 2 },
  init        = "random",
  timeout     = 300,
  charts = {
    { x = "variant", y = "median_ms",         by = "layer", threads = 1, title = "C3_DCNv3_DLKA latency per attention variant (1 thread), dashed: C3" },
    { x = "variant", y = "median_ms",         by = "layer", threads = 2, title = "C3_DCNv3_DLKA latency per attention variant (2 threads), dashed: C3" },
    { x = "variant", y = "ratio_vs_baseline", by = "layer", threads = 2, title = "C3_DCNv3_DLKA / C3 latency (2 threads)" },
    { x = "variant", y = "params",            by = "layer", threads = 1, title = "Parameters per variant, dashed: C3" },
    { x = "variant", y = "flops_thop",        by = "layer", threads = 1, title = "FLOPs as thop counts them (deformable sampling 0), dashed: C3" },
    { x = "variant", y = "flops_full",        by = "layer", threads = 1, title = "Full FLOPs (sampling, LayerNorm, softmax included), dashed: C3" },
    { x = "variant", y = "gflops",            by = "layer", threads = 1, title = "Achieved GFLOP/s (flops_full, 1 thread)" },
    { x = "variant", y = "speedup_vs_ref",    by = "layer", threads = 1, title = "Generated kernel speed-up over the scalar reference" },
  },
  quick = {
    shapes  = { places[3], places[4] },
    args    = { variant = { "blog", "official" } },
    threads = { 1 },
    charts  = {
      { x = "variant", y = "median_ms",  by = "layer", threads = 1, title = "C3_DCNv3_DLKA latency per variant (quick), dashed: C3" },
      { x = "variant", y = "params",     by = "layer", threads = 1, title = "Parameters per variant (quick), dashed: C3" },
      { x = "variant", y = "flops_full", by = "layer", threads = 1, title = "Full FLOPs per variant (quick), dashed: C3" },
    },
  },
}
