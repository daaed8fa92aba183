-- gen/dynconv_plan.lua — what gen/dyconv.lua (DYConv2d, MODULES.md 5.3) and
-- gen/dynamicconv.lua (DynamicConv, 5.4) share: both pool, route to E
-- experts, mix the experts into one kernel per sample and convolve; they
-- differ only in the routing (softmax(fc2(relu(fc1 a)) / T) vs
-- sigmoid(Linear a)), in the weight order and in the padding rule.  The
-- front-ends fill a geometry table `g` with their names for those; this
-- file plans tiles and workspace and renders templates/dynconv_gemm.c.in.
local T = require "template"
local U = require "util"
local round_up = U.round_up
local clamp = U.clamp

local M = {}

-- Same tile knobs as gen/conv.lua's gemm schedule, so the comparison with
-- the Conv baseline measures the dynamic part, not a different tiling.
M.tuning = U.gemm_tuning

M.int = U.int


-- At batch 1 the mixed kernel is just a weight, so the conv can take the
-- AVX-512 register-blocked direct convolution (runtime/ablate_direct.h)
-- instead of im2col + sgemm: groups 1, output channels a multiple of 8, the
-- bottom/right padding mirroring the top/left (TF-SAME may add only one),
-- and
--   1  stride 1, "same" padding, k 1 or 3 (as gen/conv.lua's direct_plan);
--   3  3x3 stride 2 pad 1 on a space-to-depth copy of the rows each tile
--      reads, made by the tile's thread into its own workspace
--      (abl_s2d_split_rows, as gen/conv.lua's DIRECT 3): every tap one load
--      at a fixed offset, vectors across row ends at any output width.
-- Until generator v4 the copy was of the whole input, made in the pass that
-- takes the routing's channel means (half the channels on each core), into
-- thread 0's workspace; each core's tiles then read the other core's half
-- of it, and in a model graph the next layer's first writes to the shared
-- workspace took those lines back (YOLOv8n-DYConv2d at 2 threads: the
-- layer after each DYConv2d 0.1-0.96 ms slower in the graph than when
-- timed alone, docs/modules/dynamic.md); the 16 x 320 x 320 input of
-- YOLOv8n layer 1 (6.5 MB per copy) took the in-row stride-2 kernel
-- (abl_direct2_tile) instead.
local function direct_plan(g)
  if g.G ~= 1 or g.C2 % 8 ~= 0 or g.D ~= 1 or g.PT ~= g.PL then return end
  local same_out = (g.H + 2 * g.PT - g.K) // g.S + 1 == g.HO and (g.W + 2 * g.PL - g.K) // g.S + 1 == g.WO
  if not same_out then return end
  if g.S == 1 and g.K % 2 == 1 and g.K <= 3 and g.PT == g.K // 2 then
    g.DIRECT, g.DIRECT_WHY = 1, "AVX-512: register-blocked direct conv, stride 1"
  elseif g.S == 2 and g.K == 3 and g.PT == 1 then
    g.DIRECT, g.DIRECT_WHY = 3, "AVX-512: register-blocked direct conv on a space-to-depth copy, 3x3 stride 2"
  end
end

-- g needs: MODULE, N, C1, C2, H, W, K (kernel), S, D, G, PT, PL (top/left
-- padding), HO, WO, E (experts), BIAS, ROUTING ("softmax"|"sigmoid") and,
-- for softmax, HIDDEN and TEMP; args_text, config.
function M.render(g, cfg, variant)
  if variant ~= "gemm" then
    error(g.MODULE .. ": unknown variant '" .. tostring(variant) .. "' (known: gemm)")
  end
  assert(g.HO >= 1 and g.WO >= 1, g.MODULE .. ": output size < 1")
  if cfg.output then
    assert(g.HO == M.int(cfg.output.h) and g.WO == M.int(cfg.output.w),
      g.MODULE .. ": output shape differs from the harness's")
  end
  g.PIX = g.HO * g.WO
  direct_plan(g)
  g.CIN_G, g.COUT_G = g.C1 // g.G, g.C2 // g.G
  g.KDIM = g.CIN_G * g.K * g.K
  g.POINTWISE = g.K == 1 and g.S == 1 and g.PT == 0 and g.PL == 0 and g.HO == g.H and g.WO == g.W
  local t = clamp(M.tuning.panel_bytes // (4 * g.KDIM), M.tuning.min_tile, M.tuning.max_tile)
  g.TILE = math.min(round_up(t, 16), g.PIX)
  -- shared region (thread 0's workspace): means, routing, mixed kernels
  g.WS_COEF = round_up(g.N * g.C1, 16)
  g.WS_MIX = g.WS_COEF + round_up(g.N * g.E, 16)
  g.WS_BIAS = g.WS_MIX + round_up(g.N * g.C2 * g.KDIM, 16)
  g.WS_ONES = g.WS_BIAS + round_up(g.N * g.C2, 16)
  g.WS_SHARED = g.WS_ONES + round_up(g.C2, 16)
  -- depthwise: a direct convolution (templates/dynconv_gemm.c.in, dw_plane)
  g.DEPTHWISE = g.CIN_G == 1
  local panel = (g.POINTWISE or g.DEPTHWISE or g.DIRECT == 3) and 0 or round_up(g.KDIM * g.TILE, 16)
  -- DIRECT 3: the slab of the rows one tile reads, at most S2D_ROWS output
  -- rows (a run of TILE pixels starting at a row's last column spans
  -- 1 + ceil((TILE - 1) / WO) rows); it replaces the column panel, which
  -- only the non-AVX-512 fallback needs, so that one gets the larger
  g.WS_S2D = g.WS_SHARED
  if g.DIRECT == 3 then
    g.S2D_ROWS = math.min(g.HO, 1 + (g.TILE + g.WO - 2) // g.WO)
    panel = math.max(round_up(g.C1 * (4 * g.S2D_ROWS + 2) * g.WO, 16), round_up(g.KDIM * g.TILE, 16))
  end
  g.WS_FLOATS = g.WS_SHARED + panel
  g.PANEL_KIB = string.format("%.0f", g.KDIM * g.TILE * 4 / 1024)
  g.variant = variant
  g.config = (cfg.config or ""):gsub("[\\\"]", "\\%0"):gsub("%*/", "* /")
  local root = cfg.gen_root or "gen"
  return T.render_file(root .. "/templates/dynconv_gemm.c.in", g)
end

return M
