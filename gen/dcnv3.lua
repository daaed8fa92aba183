-- gen/dcnv3.lua — generator of DCNv3 kernels (DCNv3_pytorch, MODULES.md 6.1).
--
-- One schedule (templates/dcnv3_fused.c.in), channels last inside:
-- input_proj, the offset/mask(/scale) Linears and output_proj are sgemms
-- (the three per-pixel Linears of x1 stacked into ONE), the depthwise conv,
-- LayerNorm and GELU fused per image row, and the deformable core computes
-- each point's 4 corner indices and weights once (mask folded in) and then
-- streams the group's GC contiguous channels.  Why it beats PyTorch's
-- dcnv3_core_pytorch: that one materialises grid_sample's
-- (B*G, GC, H*W, P) tensor (P times the feature map), multiplies it by the
-- mask and sums it, with NHWC <-> per-group NCHW copies around it; here no
-- intermediate larger than the feature map exists.
--
-- Variants (same template):
--   fused     the schedule above.
--   unfused   the sampler with PyTorch's dataflow, for comparison: every
--             point sampled into a buffer P times the tile's features, then
--             a second pass applies the mask and sums; what is left between
--             it and PyTorch eager is the framework (copies, permutes,
--             grid_sample's per-channel coordinate work), and what is left
--             between it and fused is the materialisation.
local T = require "template"
local U = require "util"
local int = U.int

local M = { version = 1, variants = { "fused", "unfused" } }

-- Floats past the last pixel's offsets-and-mask row that the corner plan's
-- padding points read (ABL_DCN_OM_SLACK, runtime/ablate_dcnv3.h).
M.OM_SLACK = 32


-- A float as a C literal that round-trips (e.g. 1.0f, 0.25f).
local function cfloat(v) return string.format("%.9gf", v):gsub("^(%-?%d+)f$", "%1.0f") end

-- Everything fixed by the configuration, as the template names it.
local function geometry(cfg)
  local a, i = cfg.args, cfg.input
  local g = {
    B = int(i.n), C = int(a.channels), K = int(a.kernel_size), DWK = int(a.dw_kernel_size),
    S = int(a.stride), PAD = int(a.pad), DIL = int(a.dilation), G = int(a.group),
    H = int(i.h), W = int(i.w), CFS = int(a.center_feature_scale),
    LAYOUT = a.layout == "nhwc" and 1 or 0, osc = a.offset_scale,
  }
  if g.DWK < 0 then g.DWK = g.K end -- None: the sampling kernel's size
  assert(g.C == int(i.c), "DCNv3: input channels differ from channels")
  assert(g.G >= 1 and g.C % g.G == 0, "DCNv3: channels must be divisible by group")
  assert(g.S == 1 and 2 * g.PAD == g.DIL * (g.K - 1),
         "DCNv3: requires stride 1 and 2*pad == dilation*(kernel_size-1)")
  assert(g.DWK % 2 == 1, "DCNv3: dw_kernel_size must be odd")
  g.GC = g.C // g.G
  g.OSC = cfloat(g.osc)
  -- the kernel-point grid of MODULES.md 6.1 step 4, repeated per group
  local half, gx, gy = g.DIL * (g.K - 1) // 2, {}, {}
  for _ = 1, g.G do
    for p = 0, g.K * g.K - 1 do
      gx[#gx + 1] = cfloat(-half + (p // g.K) * g.DIL)
      gy[#gy + 1] = cfloat(-half + (p % g.K) * g.DIL)
    end
  end
  g.GRID_X, g.GRID_Y = table.concat(gx, ", "), table.concat(gy, ", ")
  g.args_text = string.format(
    "channels=%d kernel_size=%d dw_kernel_size=%d stride=%d pad=%d dilation=%d group=%d " ..
    "offset_scale=%s layout=%s center_feature_scale=%d",
    g.C, g.K, g.DWK, g.S, g.PAD, g.DIL, g.G, string.format("%g", g.osc), a.layout, g.CFS)
  -- the descriptor goes into a C string literal and a comment
  g.config = (cfg.config or ""):gsub("[\\\"]", "\\%0"):gsub("%*/", "* /")
  return g
end

-- Rows per tile: the thread's x1/core tile (TR * W * C floats) about
-- `floats` (32k floats, 128 KiB, in L2 while sgemm reads it), at least one
-- row, and at least 4 tiles in all when the image has the rows, so 2
-- threads balance.  Then the rows are spread evenly over an even number of
-- tiles (when there are rows for it): 20 rows in tiles of 6 are 6 + 6 + 6
-- + 2, and 40 rows 6 x 6 + 4, which leave one of two threads idle for most
-- of the last round; 4 x 5 and 8 x 5 do not.  Last, the tile may shrink by
-- a row or two where that evens out the rows of two threads.  Shared with the D-LKA
-- attention's DCNv3 layers (gen/dlka.lua).
-- The rows the busier of 2 threads gets when the n * ceil(h / tr) tiles
-- (the last of each image shorter) are split by schedule(static).
local function busier_thread_rows(n, h, tr)
  local nt = (h + tr - 1) // tr
  local first, rows = (n * nt + 1) // 2, 0
  for job = 0, first - 1 do rows = rows + math.min(tr, h - (job % nt) * tr) end
  return math.max(rows, n * h - rows)
end

local function rows_per_tile(n, c, h, w, floats)
  local tr = math.min(math.max(1, floats // (w * c)), h)
  while tr > 1 and n * ((h + tr - 1) // tr) < 4 do tr = tr - 1 end
  local nt = (h + tr - 1) // tr
  if (n * nt) % 2 == 1 and nt < h then nt = nt + 1 end
  tr = (h + nt - 1) // nt
  -- 80 rows come out as 14 tiles of 6 (the last of 2): 42 rows for one
  -- thread, 38 for the other; one or two rows less per tile may split them
  -- evenly (16 x 5: 40 + 40).  Keep the largest tile of the best split.
  local best = tr
  for t = tr - 1, math.max(1, tr - 2), -1 do
    if busier_thread_rows(n, h, t) < busier_thread_rows(n, h, best) then best = t end
  end
  return best
end

local function tile_rows(g) return rows_per_tile(g.B, g.C, g.H, g.W, 32768) end

-- Floats of one pixel's offsets-and-mask row (OML in the template: the
-- 3 G P offsets and mask logits, G scale logits with center_feature_scale,
-- in whole 16-float vectors).
local function om_floats(g)
  local nom = 3 * g.G * g.K * g.K + (g.CFS == 1 and g.G or 0)
  return (nom + 15) // 16 * 16
end

-- Rows per tile of phase B, which holds a tile's x1 / core (C floats a
-- pixel) and its offsets and mask (OML floats a pixel) while the sampler
-- reads xp at random: the same rule on C + OML floats a pixel, about
-- M.PHASE_B_FLOATS (512 KiB) together, so that the offsets tile stays in
-- L2 beside xp; never more rows than phase A's tile (whose x1 alone was
-- sized for L2).  At 40 x 40, k 7, g 4 (592 floats a pixel) 4 rows where
-- phase A has 10; at k 3 the offsets are small and the tiles the same.
-- 65536 floats (2 rows there) was slower at k 7, g 1 (5 rows, each
-- 7 x 7 depthwise tile copying 11 input rows for 5) and at k 7, g 4
-- (perf_deform.md, fourth Intel pass).
M.PHASE_B_FLOATS = 131072
local function tile_rows_b(g)
  return math.min(tile_rows(g), rows_per_tile(g.B, g.C + om_floats(g), g.H, g.W, M.PHASE_B_FLOATS))
end

-- The chunk sizes the depthwise conv's register-rows tile is built for
-- (ABL_DW_TILE_NR, runtime/ablate_dcnv3_dw.h), a mask, bit n - 1 for n
-- rows: phase B's tiles are any 1 .. trb rows (a thread's share, an
-- image's end and the single rows a thread steals end them anywhere,
-- runtime/ablate_dcnv3_split.h), each cut by abl_dw_rows_tile into chunks
-- of equal size, at most ABL_DW_TILE_ROWS.
local DW_TILE_ROWS = 8
-- the chunk sizes of one tile of nr rows (gen/dlka.lua's layers: tiles of
-- fixed rows)
local function dw_tile_chunk_mask(nr)
  local chunks = (nr + DW_TILE_ROWS - 1) // DW_TILE_ROWS
  local per = (nr + chunks - 1) // chunks
  local mask = 0
  for q = 0, nr - 1, per do mask = mask | (1 << (math.min(per, nr - q) - 1)) end
  return mask
end
local function dw_tile_chunks(trb)
  local mask = 0
  for nr = 1, trb do mask = mask | dw_tile_chunk_mask(nr) end
  return mask
end

-- Whether the sampler lists and skips the points wholly outside the map
-- (SKIP, runtime/ablate_dcnv3.h abl_dcn_core): 1 where, with zero offsets,
-- at least `share` (default 0.15) of the (pixel, kernel point) pairs of a
-- k x k grid of dilation dil fall outside an h x w map.  The plan's keep
-- flags and count cost every pixel a little, and listing pays only where
-- many points leave: a 7 x 7 dilation-3 grid on 20 x 20 (45 % of the
-- points; 3.5 % faster by CPU time), not a 3 x 3 grid on 80 x 80 (1.7 %;
-- docs/modules/performance.md).
local function skip_outside(k, dil, h, w, share)
  local half = dil * (k - 1) // 2
  local function inside_share(n)
    local inside = 0
    for pos = 0, n - 1 do
      for a = 0, k - 1 do
        local x = pos - half + a * dil
        if x >= 0 and x < n then inside = inside + 1 end
      end
    end
    return inside / (n * k)
  end
  return 1 - inside_share(h) * inside_share(w) >= (share or 0.15) and 1 or 0
end

-- Whether the sampler plans its corner weights point-major and sums them
-- by abl_dcn_core_pm (PM, runtime/ablate_dcnv3.h): 16 channels a group
-- (abl_dcn_corner_sum16's groups: 9 loads a point for 4 multiply-adds
-- there, 8 and 2 permutes here), fused, every point summed (no skip
-- lists: skip 0).  Same bits as abl_dcn_core; 1-2 % off the 1-thread
-- call at 64 channels in 4 groups (perf_deform.md, e-dcnv3).  The AVX2
-- and half-rate AVX-512 builds keep abl_dcn_core (the template's
-- ABL_DCN_PM_OK); abl_dcn_core_pm traps on groups of another width.
local function point_major(gc, skip, unfused)
  return (gc == 16 and skip == 0 and unfused == 0) and 1 or 0
end

-- Whether PM's plan takes the mask's softmax (SMF, runtime/ablate_dcnv3.h
-- abl_dcn_corners_pm_sm): e^x of each logit as the point's mask and each
-- group's 1 / sum on its 16 summed channels, in place of the softmax pass
-- over the tile (abl_dcn_softmax_rows: 137 us of L13 k 7 g 4's 2.02 ms at
-- 1 thread, perf_deform.md, d-dcnv3).  Where PM runs, for kernels of
-- k >= M.SMF_MIN_K (the pass's cost grows with the g k^2 logits, the
-- fold's group sums and scales do not) and at most ABL_DCN_SM_GPMAX (240)
-- logits a pixel (its scratch row).  Measured at 1 thread (perf_deform.md,
-- f-dcnv3): k 7 g 4 on 40 x 40 2-3 % faster, k 3 g 4 level (40 x 40) to
-- slower (80 x 80).  Not the same bits as the softmax pass.
M.SMF_MIN_K = 5
local function softmax_folded(pm, g, k)
  return (pm == 1 and k >= M.SMF_MIN_K and g * k * k <= 240) and 1 or 0
end

function M.render(cfg, variant)
  if variant ~= "fused" and variant ~= "unfused" then
    error("DCNv3: unknown variant '" .. tostring(variant) .. "' (known: fused, unfused)")
  end
  local g = geometry(cfg)
  g.UNFUSED = variant == "unfused" and 1 or 0
  g.TR = tile_rows(g)
  g.TRB = tile_rows_b(g)
  g.DW_TILE_NR = dw_tile_chunks(g.TRB)
  g.SKIP = skip_outside(g.K, g.DIL, g.H, g.W)
  g.PM = point_major(g.GC, g.SKIP, g.UNFUSED)
  g.SMF = softmax_folded(g.PM, g.G, g.K)
  g.variant, g.version = variant, M.version
  local root = cfg.gen_root or "gen"
  return T.render_file(root .. "/templates/dcnv3_fused.c.in", g)
end

M.tile_rows = tile_rows -- exposed for tests
M.tile_rows_b = tile_rows_b -- likewise
M.rows_per_tile = rows_per_tile -- gen/dlka.lua's DCNv3 layers
M.skip_outside = skip_outside -- likewise
M.point_major = point_major -- exposed for tests
M.softmax_folded = softmax_folded -- likewise
M.dw_tile_chunks = dw_tile_chunks -- exposed for tests
M.dw_tile_chunk_mask = dw_tile_chunk_mask -- gen/dlka.lua's DCNv3 layers
M.geometry = geometry -- reused by gen/cuda_dcnv3.lua

return M
