-- gen/c2f_ghost.lua — generator of C2f_GhostModule_DynamicConv kernels
-- (seed 003, alias C2f_DynamicConv; MODULES.md 5.6): C2f with every
-- Bottleneck replaced by GhostModule(c, c); shortcut and g ignored.
--
-- Variants:
--   gemm   cv1 and cv2 as chained Convs (gen/chain.lua: the Conv baseline's
--          gemm schedule with fused BN+SiLU); between them the n
--          GhostModules as stages of the same OpenMP region
--          (gen/runtime/ablate_ghost.h, as gen/ghostmodule.lua).  Buffer 2
--          is the concat ((2 + n) * c channels): cv1 writes y0, y1 into it,
--          GhostModule i reads y_{i+1} there and writes y_{i+2} there (its
--          x1 and kept x2 halves in place), cv2 reads all of it.  So the
--          split, the ghost concat/slice and the C2f concat move no data.
--          templates/c2f_ghost_gemm.c.in.
local C = require "chain"
local P = require "ghost_plan"

local M = { version = 1, variants = { "gemm" } }

-- GhostModule(c, c)'s defaults (5.6 item 3).
local GHOST = { k = 1, ratio = 2, dw = 3, stride = 1, experts = 4, relu = 1 }
local GHOST_TENSORS = 16

-- Weight indices (state_dict order): cv1.* 0, cv2.* 6, m.i.* 12 + 16i.
function M.render(cfg, variant)
  local a, int = cfg.args, C.int
  local c1, c2, n = int(a.c1), int(a.c2), int(a.n)
  local c = C.width(c2, a.e)
  local ccat = (2 + n) * c
  local g = C.begin(cfg, "C2f_GhostModule_DynamicConv", c1, c2)
  g.generator, g.section, g.version = "c2f_ghost", "5.6", M.version
  g.args_text = string.format("c1=%d c2=%d n=%d shortcut=%d g=%d e=%s bn_eps=%s", c1, c2, n,
    int(a.shortcut), int(a.g), tostring(a.e), g.EPS)
  g.BUF_CHANNELS = { ccat }
  C.layer(g, "cv1", c1, 2 * c, 1, 1, 0, C.slice(0, c1), C.slice(2, ccat, 0))
  C.layer(g, "cv2", ccat, c2, 1, 1, 6, C.slice(2, ccat), C.slice(1, c2))
  -- every GhostModule has the same shape: one scratch layout serves all
  local st, scratch = P.stage({ n = g.N, inp = c, oup = c, h = g.H, w = g.W, k = GHOST.k,
    ratio = GHOST.ratio, dw = GHOST.dw, stride = GHOST.stride, experts = GHOST.experts,
    relu = GHOST.relu }, 0)
  g.G = st
  g.GHOST_SCRATCH = scratch
  g.C = c
  g.CCAT = ccat
  g.GHOSTS = {}
  for i = 0, n - 1 do
    table.insert(g.GHOSTS, { w_index = 12 + GHOST_TENSORS * i, src_c0 = (i + 1) * c,
                             dst_c0 = (i + 2) * c })
  end
  return C.render(cfg, g, variant, "c2f_ghost_gemm.c.in")
end

return M
