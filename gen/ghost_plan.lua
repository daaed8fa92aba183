-- gen/ghost_plan.lua — the numbers of one GhostModule stage (MODULES.md
-- 5.5) for gen/runtime/ablate_ghost.h: channel counts, output size, tile
-- width and the shared scratch layout.  Used by gen/ghostmodule.lua (the
-- module alone) and gen/c2f_ghost.lua (n of them inside C2f).
local U = require "util"
local round_up = U.round_up
local clamp = U.clamp
local M = {}

-- Same tile knobs as gen/conv.lua's gemm schedule, so the primary conv is
-- tiled as the Conv baseline is.
M.tuning = U.gemm_tuning

M.int = U.int


-- p: { n, inp, oup, h, w, k, ratio, dw, stride, experts, relu }; base: where
-- the stage's scratch starts.  Returns the stage table (template fields in
-- upper case too) and the scratch floats it needs.
function M.stage(p, base)
  assert(p.ratio >= 2, "GhostModule: ratio must be >= 2")
  assert(p.oup >= 1, "GhostModule: oup must be >= 1")
  assert(p.dw % 2 == 1, "GhostModule: dw_size must be odd")
  local s = { N = p.n, INP = p.inp, OUP = p.oup, H = p.h, W = p.w, K = p.k, S = p.stride,
              DW = p.dw, E = p.experts, RELU = p.relu }
  s.INIT = (p.oup + p.ratio - 1) // p.ratio
  s.PER_IN = p.ratio - 1
  s.NEW = s.INIT * s.PER_IN
  s.KEEP = p.oup - s.INIT
  local pad = p.k // 2
  s.HO = (p.h + 2 * pad - p.k) // p.stride + 1
  s.WO = (p.w + 2 * pad - p.k) // p.stride + 1
  s.KDIM = p.inp * p.k * p.k
  s.POINTWISE = p.k == 1 and p.stride == 1
  local t = clamp(M.tuning.panel_bytes // (4 * s.KDIM), M.tuning.min_tile, M.tuning.max_tile)
  s.TILE = math.min(round_up(t, 16), s.HO * s.WO)
  -- one thread's region: the im2col panel (none for 1x1 stride 1), then
  -- the mixed dw x dw kernel of the cheap plane it computes
  s.COL_FLOATS = round_up(math.max(s.POINTWISE and 0 or s.KDIM * s.TILE, p.dw * p.dw), 16)
  s.PANEL_KIB = string.format("%.0f", s.KDIM * s.TILE * 4 / 1024)
  local off, at = {}, base
  local function region(name, floats)
    off[name] = at
    at = at + round_up(math.max(floats, 1), 16)
  end
  region("mean1", p.n * p.inp)
  region("coef1", p.n * p.experts)
  region("mix1", p.n * s.INIT * s.KDIM)
  region("bn1", 2 * s.INIT)
  region("mean2", p.n * s.INIT)
  region("coef2", p.n * p.experts)
  region("bn2", 2 * s.KEEP)
  s.OFF = off
  return s, at - base
end

return M
