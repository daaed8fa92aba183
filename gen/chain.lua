-- gen/chain.lua — shared part of the generators of composed baselines
-- (gen/bottleneck.lua, gen/c2f.lua): a list of stride-1 Convs, each reading
-- and writing channel slices of the kernel's buffers, rendered through
-- templates/chain_gemm.c.in (runtime/ablate_chain.h).  Every Conv runs the
-- Conv baseline's gemm schedule, so the composed blocks are measured on
-- the same footing as the Conv row.
local T = require "template"
local U = require "util"
local int = U.int
local round_up = U.round_up
local clamp = U.clamp

local M = {}

-- Templates that take the Winograd path (F(4x4) too: they render L.f4 and
-- split Winograd layers at L.wino_m rows).
local WINO_TEMPLATES = { ["chain_gemm.c.in"] = true, ["detect_gemm.c.in"] = true }

-- runtime/ablate_winograd.h (F(2x2, 3x3)) and ablate_winograd4.h
-- (F(4x4, 3x3)): tiles of a batch (ABL_WINO_NT, ABL_WINO4_NT), points of
-- the transformed tile, and the cost model of M.wino_pick in cycles: one
-- per FMA of the products, `tin` per input channel and `tout` per output
-- channel of every row segment (at most 16 tiles of one tile row: the
-- transforms work on one segment per vector, however few tiles it has).
-- tin and tout are a least-squares fit to tests/winograd_check.c's bench
-- (both tiles, YOLOv8n's 14 stride-1 3x3 shapes, one thread, Zen 4
-- half-rate AVX-512; the fit is within 10 % of every measured time):
-- the 6 x 6 transforms cost ~3x the 4 x 4 ones per segment.
local WINO = {
  [2] = { nt = 96, pts = 16, tin = 260, tout = 110 },
  [4] = { nt = 48, pts = 36, tin = 800, tout = 270 },
}

-- Floats of the per-thread scratch of an F(m x m) layer (m = 2, 4) with
-- cin input channels (abl_wino_scratch, abl_wino4_scratch).
function M.wino_scratch(cin, m)
  local W = WINO[m or 2]
  return W.pts * W.nt * (cin + 8)
end

-- Modelled cycles of F(m x m) over one h x w map (cin -> cout): the
-- batches' vectors of 16 tiles and their row segments.
function M.wino_cost(m, cin, cout, h, w)
  local W = WINO[m]
  local tw, tiles = (w + m - 1) // m, ((h + m - 1) // m) * ((w + m - 1) // m)
  local vecs, segs = 0, 0
  for t0 = 0, tiles - 1, W.nt do
    local nt = math.min(W.nt, tiles - t0)
    vecs = vecs + (nt + 15) // 16
    local t = t0
    while t < t0 + nt do
      t = t + math.min(tw - t % tw, 16, t0 + nt - t)
      segs = segs + 1
    end
  end
  return vecs * W.pts * cin * cout + segs * (W.tin * cin + W.tout * cout)
end

-- The output tile (2 or 4) of a 3x3 layer on an h x w map: the cheaper by
-- the model.  F(4x4) wins on every YOLOv8n shape (1.01x at 64 -> 64 @
-- 20^2, where 25 tiles fill 2 vectors, to 1.47x at 80 -> 80 @ 80^2,
-- measured); F(2x2) stays where few channels make the 6 x 6 transforms
-- dominate, or maps so small that F(4x4)'s few tiles waste most lanes.
function M.wino_pick(cin, cout, h, w)
  return M.wino_cost(4, cin, cout, h, w) < M.wino_cost(2, cin, cout, h, w) and 4 or 2
end

-- The Winograd candidates' transformed weights: each such layer gets
-- L.wino (the buffer), L.u_off and L.f4 (F(4x4) where L.wino_m is 4 and
-- f4_ok: the template renders L.f4; otherwise F(2x2)), and the block one
-- more shared buffer after its g.NBUFS ones (g.WINO_BUF, of g.WINO_FLOATS
-- floats: the prepared buffer of ablate_kernel_prepare); returns the
-- per-thread scratch in floats (0 without candidates).  For templates that
-- render L.wino, L.u_off and call abl_chain_wino_weights.  g.WINO_TILES:
-- the Winograd tiles the layers select (1 F(2x2), 2 F(4x4); 0 where no
-- layer is Winograd or the template never lays them out), which the
-- templates define as ABL_CHAIN_WINO_TILES for ablate_chain.h.
function M.wino_layout(g, f4_ok)
  local u_off, scratch = 0, 0
  for _, L in ipairs(g.LAYERS) do
    if L.wino_m then
      if not f4_ok then L.wino_m = 2 end
      L.f4 = L.wino_m == 4 and 1 or 0
      g.WINO_TILES = g.WINO_TILES | (L.f4 == 1 and 2 or 1)
      L.wino, L.u_off = g.NBUFS, u_off
      u_off = u_off + round_up(WINO[L.wino_m].pts * L.cin * L.cout, 16)
      scratch = math.max(scratch, M.wino_scratch(L.cin, L.wino_m))
    end
  end
  if u_off == 0 then return 0 end
  table.insert(g.BUF_OFFS, g.SHARED_FLOATS)
  g.SHARED_FLOATS = g.SHARED_FLOATS + u_off
  g.WINO_BUF, g.WINO_FLOATS = g.NBUFS, u_off
  g.NBUFS = g.NBUFS + 1
  return scratch
end

-- g.DIRECT_KS: the kernel sizes of the layers that take ablate_direct.h's
-- abl_direct_tile in abl_chain_tile on AVX-512 builds (1 1x1, 2 3x3), which
-- the templates define as ABL_DIRECT_TILE_KS: one group, k <= 3, outputs in
-- blocks of 8 (abl_direct_ok), and not a Winograd layer (L.wino, set by
-- wino_layout: its 3x3 candidates are exactly abl_wino_ok's).
-- g.CHAIN_GEMM: 1 when a layer takes neither (im2col + sgemm on AVX-512
-- builds; every layer on the others), which the templates define as
-- ABL_CHAIN_GEMM: without one, ablate_chain.h leaves that path out.  Call
-- after wino_layout.
function M.direct_layout(g)
  g.DIRECT_KS, g.CHAIN_GEMM = 0, 0
  for _, L in ipairs(g.LAYERS) do
    if L.groups == 1 and L.k <= 3 and L.cout % 8 == 0 and not L.wino then
      g.DIRECT_KS = g.DIRECT_KS | (L.k == 3 and 2 or 1)
    elseif not L.wino then
      g.CHAIN_GEMM = 1
    end
  end
end

-- Same knobs (and reasons) as gen/conv.lua's gemm schedule.
M.tuning = U.gemm_tuning

M.int = U.int

-- Python's int(c2 * e) for the non-negative product.
function M.width(c2, e) return math.floor(c2 * e) end


-- A slice {buffer, channels per image of that buffer, first channel}.
-- Buffers: 0 = x, 1 = y, 2.. = intermediates (sizes in g.BUF_CHANNELS).
function M.slice(buf, c, c0) return { buf, c, c0 or 0 } end

-- Appends one Conv(cin, cout, k, 1, g=groups) whose weights start at
-- w[w_index]; res (a slice) is added after its SiLU.
function M.layer(g, name, cin, cout, k, groups, w_index, src, dst, res)
  assert(cin % groups == 0 and cout % groups == 0, name .. ": channels not divisible by groups")
  assert(k % 2 == 1, name .. ": kernel must be odd")
  local L = { name = name, cin = cin, cout = cout, k = k, groups = groups, w_index = w_index,
              src = src, dst = dst, res = res, bn_off = g.bn_total }
  g.bn_total = g.bn_total + round_up(cout, 16)
  -- 3x3 groups 1: a Winograd candidate (runtime/ablate_winograd*.h; taken
  -- on AVX-512 builds, by templates that render the U buffer), F(4x4) or
  -- F(2x2) by the model on the block's map (gen/detect.lua picks again
  -- for its coarser levels)
  if k == 3 and groups == 1 and cout % 8 == 0 then
    L.wino_m = M.wino_pick(cin, cout, g.H, g.W)
  end
  g.kdim_max = math.max(g.kdim_max, k > 1 and (cin // groups) * k * k or 0)
  table.insert(g.LAYERS, L)
end

-- Geometry common to every chain: input shape, eps, empty layer list.
function M.begin(cfg, module, c1, c2)
  local i = cfg.input
  local g = {
    module = module, N = M.int(i.n), H = M.int(i.h), W = M.int(i.w), C1 = c1, C2 = c2,
    EPS = string.format("%.17g", cfg.args.bn_eps or 1e-5), LAYERS = {}, bn_total = 0,
    kdim_max = 0, BUF_CHANNELS = {}, WINO_TILES = 0,
  }
  assert(c1 == M.int(i.c), module .. ": input channels differ from c1")
  g.config = (cfg.config or ""):gsub("[\\\"]", "\\%0"):gsub("%*/", "* /")
  return g
end

-- Tile width, workspace layout, then the template (default
-- templates/chain_gemm.c.in; gen/c2f_ghost.lua passes its own, which runs
-- the same layers with GhostModule stages between them).
function M.render(cfg, g, variant, template)
  if variant ~= "gemm" then
    error(g.module .. ": unknown variant '" .. tostring(variant) .. "' (known: gemm)")
  end
  local tun, pix = M.tuning, g.H * g.W
  local kd = math.max(g.kdim_max, 1)
  g.TILE = math.min(round_up(clamp(tun.panel_bytes // (4 * kd), tun.min_tile, tun.max_tile), 16), pix)
  g.BUF_OFFS, g.SHARED_FLOATS = { 0, 0 }, 0
  -- g.BUF_PIX (optional): a buffer's own pixel count, for maps smaller
  -- than the input's (Detect's coarser levels)
  for i, c in ipairs(g.BUF_CHANNELS) do
    table.insert(g.BUF_OFFS, g.SHARED_FLOATS)
    g.SHARED_FLOATS = g.SHARED_FLOATS + round_up(g.N * c * (g.BUF_PIX and g.BUF_PIX[i] or pix), 16)
  end
  g.NBUFS = 2 + #g.BUF_CHANNELS
  -- templates that run Winograd layers (they render L.wino, L.u_off and
  -- call abl_chain_wino_weights): one more shared buffer for the
  -- transformed weights of every candidate layer
  local tmpl = template or g.template or "chain_gemm.c.in"
  -- WINO_BUF: the U buffer's index (0: none); WINO_FLOATS: its size, also
  -- the size of the prepared buffer (ablate_kernel_prepare)
  g.WINO_BUF, g.WINO_FLOATS = 0, 0
  local wino_scratch = WINO_TEMPLATES[tmpl] and M.wino_layout(g, true) or 0
  M.direct_layout(g)
  g.NLAYERS = #g.LAYERS
  g.PRIV_BN = 2 * g.bn_total
  -- g.col_floats (optional): a wider column panel for jobs wider than
  -- TILE (gen/detect.lua's F(4x4) jobs on builds without AVX-512)
  g.PRIV_FLOATS = g.PRIV_BN + round_up(math.max(g.kdim_max * g.TILE, wino_scratch, g.col_floats or 0), 16)
  g.PRIV_EXTRA = g.PRIV_FLOATS -- where a template's own per-thread scratch starts
  g.PRIV_FLOATS = g.PRIV_FLOATS + round_up(g.priv_extra or 0, 16)
  g.variant = variant
  local root = cfg.gen_root or "gen"
  -- a block with steps other than Convs (SPPF's pools, GhostModule stages)
  -- brings its own template: as an argument or as g.template
  return T.render_file(root .. "/templates/" .. tmpl, g)
end

return M
