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

-- Templates that take the Winograd path, and runtime/ablate_winograd.h's
-- batch of tiles (ABL_WINO_NT), for the scratch size.
local WINO_TEMPLATES = { ["chain_gemm.c.in"] = true, ["detect_gemm.c.in"] = true }
local WINO_NT = 96

-- Floats of runtime/ablate_winograd.h's per-thread scratch for layers of
-- at most cin input channels (abl_wino_scratch).
function M.wino_scratch(cin) return 16 * WINO_NT * (cin + 8) end

-- The Winograd candidates' transformed weights (L.wino_floats): each such
-- layer gets L.wino (the buffer) and L.u_off, and the block one more shared
-- buffer after its g.NBUFS ones (g.WINO_BUF, of g.WINO_FLOATS floats: the
-- prepared buffer of ablate_kernel_prepare); returns the per-thread scratch in floats
-- (0 without candidates).  For templates that render L.wino, L.u_off and
-- call abl_chain_wino_weights.
function M.wino_layout(g)
  if not g.wino_cin_max then return 0 end
  local u_off = 0
  for _, L in ipairs(g.LAYERS) do
    if L.wino_floats then
      L.wino, L.u_off = g.NBUFS, u_off
      u_off = u_off + round_up(L.wino_floats, 16)
    end
  end
  table.insert(g.BUF_OFFS, g.SHARED_FLOATS)
  g.SHARED_FLOATS = g.SHARED_FLOATS + u_off
  g.WINO_BUF, g.WINO_FLOATS = g.NBUFS, u_off
  g.NBUFS = g.NBUFS + 1
  return M.wino_scratch(g.wino_cin_max)
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
  -- 3x3 groups 1: a Winograd candidate (runtime/ablate_winograd.h; taken
  -- on AVX-512 builds, by templates that render the U buffer)
  if k == 3 and groups == 1 and cout % 8 == 0 then
    L.wino_floats = 16 * cin * cout
    g.wino_cin_max = math.max(g.wino_cin_max or 0, cin)
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
    kdim_max = 0, BUF_CHANNELS = {},
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
  local wino_scratch = WINO_TEMPLATES[tmpl] and M.wino_layout(g) or 0
  g.NLAYERS = #g.LAYERS
  g.PRIV_BN = 2 * g.bn_total
  g.PRIV_FLOATS = g.PRIV_BN + round_up(math.max(g.kdim_max * g.TILE, wino_scratch), 16)
  g.PRIV_EXTRA = g.PRIV_FLOATS -- where a template's own per-thread scratch starts
  g.PRIV_FLOATS = g.PRIV_FLOATS + round_up(g.priv_extra or 0, 16)
  g.variant = variant
  local root = cfg.gen_root or "gen"
  -- a block with steps other than Convs (SPPF's pools, GhostModule stages)
  -- brings its own template: as an argument or as g.template
  return T.render_file(root .. "/templates/" .. tmpl, g)
end

return M
