-- experiments/dcnv3_kernel_group.lua — DCNv3 kernel_size x group where
-- C3_DCNv3_DLKA's attention runs it: DCNv3(c_) on the c_ = c2 / 2 channels
-- of the bottleneck, same H x W, at the YOLOv5n head places of seed 004
-- (experiments/dlka.lua), imgsz 640.  Layer 20 (128 -> 128 @ 40) gives the
-- same DCNv3 as layer 13 (c_ = 64 @ 40): it is left out, so no configuration
-- is timed twice.  pad = (kernel_size - 1) / 2 so the
-- map keeps its size (MODULES.md 6.1 item 7).  Baseline: the 3x3 Conv(c_,
-- c_) the bottleneck runs just before the attention.
--
-- Run: make sweep EXP=dcnv3_kernel_group          (3 kernels x 4 groups x 3 places x 1, 2 threads)
--      make sweep EXP=dcnv3_kernel_group QUICK=1  (2 places, k 3/7, G 1/4, 1 thread)

local function head_places(imgsz)
  imgsz = imgsz or 640
  local places = {
    { layer = "L13", c = 64,  div = 16 },
    { layer = "L17", c = 32,  div = 8 },
    { layer = "L23", c = 128, div = 32 },
  }
  local rows = {}
  for _, p in ipairs(places) do
    local hw = imgsz // p.div
    rows[#rows + 1] = { layer = p.layer, c1 = p.c, c2 = p.c, h = hw, w = hw }
  end
  return rows
end

local places = head_places(640)

return sweep {
  name        = "dcnv3_kernel_group",
  description = "DCNv3 kernel_size x group on C3_DCNv3_DLKA's attention channels (c2/2) at the YOLOv5n head places of seed 004",
  module      = "DCNv3",
  baseline    = { module = "Conv", k = 3, s = 1 },
  shapes      = places,
  args        = { kernel_size = { 3, 5, 7 }, pad = { 1, 2, 3 }, group = { 1, 2, 4, 8 } },
  -- pad follows kernel_size: the other (kernel_size, pad) pairs are invalid
  -- (validated before `where` runs, hence skip_invalid) and filtered out;
  -- the baseline's configurations have no pad and are kept
  skip_invalid = true,
  where       = function(cfg) return cfg.pad == nil or 2 * cfg.pad == cfg.kernel_size - 1 end,
  -- torch: scripts/torch_peer.py, dcnv3_core_pytorch (~15-140 ms a call)
  backends    = { "ref", "gen", "torch", "ort", "openvino" },
  threads     = { 1, 2 },
  init        = "random",
  charts = {
    { x = "kernel_size", y = "median_ms",         by = "group", threads = 1, title = "DCNv3 latency vs kernel_size per group (1 thread), dashed: Conv k3" },
    { x = "kernel_size", y = "median_ms",         by = "group", threads = 2, title = "DCNv3 latency vs kernel_size per group (2 threads), dashed: Conv k3" },
    { x = "kernel_size", y = "params",            by = "group", threads = 1, title = "DCNv3 parameters vs kernel_size, dashed: Conv k3" },
    { x = "kernel_size", y = "flops_thop",        by = "group", threads = 1, title = "DCNv3 FLOPs as thop counts them, dashed: Conv k3" },
    { x = "kernel_size", y = "flops_full",        by = "group", threads = 1, title = "DCNv3 full FLOPs, dashed: Conv k3" },
  },
  quick = {
    shapes  = { places[1], places[3] },  -- L13, L23
    args    = { kernel_size = { 3, 7 }, pad = { 1, 3 }, group = { 1, 4 } },
    threads = { 1 },
    charts  = {
      { x = "kernel_size", y = "median_ms", by = "group", threads = 1, title = "DCNv3 latency vs kernel_size (quick), dashed: Conv k3" },
    },
  },
}
