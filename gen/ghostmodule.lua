-- gen/ghostmodule.lua — generator of ParameterNet GhostModule kernels
-- (MODULES.md 5.5: two DynamicConvs, each + BN + ReLU, concat, slice).
--
-- Variants:
--   gemm   per sample, each DynamicConv's experts mixed once; the primary
--          conv as the Conv baseline runs it (tiles, im2col unless 1x1
--          stride 1, single-threaded sgemm), BN+ReLU fused on the tile,
--          written straight into y's first init channels; the cheap
--          operation (groups = init: ratio - 1 outputs per input channel) a
--          direct dw x dw loop per plane vectorised over the row, BN+ReLU
--          fused, written straight after them: no concat copy, and the
--          channel an odd oup slices away is never computed
--          (gen/ghost_plan.lua, gen/runtime/ablate_ghost.h,
--          templates/ghost_gemm.c.in).
local P = require "ghost_plan"
local T = require "template"

local M = { version = 1, variants = { "gemm" } }
M.tuning = P.tuning

-- The stage table of gen/ghost_plan.lua for cfg, with EPS and args_text
-- (also gen/cuda_ghostmodule.lua's input); scratch: its shared floats.
function M.stage(cfg)
  local a, i, int = cfg.args, cfg.input, P.int
  assert(int(a.inp) == int(i.c), "GhostModule: input channels differ from inp")
  local g, shared = P.stage({ n = int(i.n), inp = int(a.inp), oup = int(a.oup), h = int(i.h), w = int(i.w),
                      k = int(a.kernel_size), ratio = int(a.ratio), dw = int(a.dw_size),
                      stride = int(a.stride), experts = int(a.num_experts),
                      relu = a.act == "relu" and 1 or 0 }, 0)
  if cfg.output then
    assert(g.HO == int(cfg.output.h) and g.WO == int(cfg.output.w),
      "GhostModule: output shape differs from the harness's")
  end
  g.EPS = string.format("%.17g", a.bn_eps or 1e-5)
  g.args_text = string.format(
    "inp=%d oup=%d kernel_size=%d ratio=%d dw_size=%d stride=%d act=%s num_experts=%d bn_eps=%s",
    g.INP, g.OUP, g.K, g.PER_IN + 1, g.DW, g.S, a.act, g.E, g.EPS)
  return g, shared
end

function M.render(cfg, variant)
  if variant ~= "gemm" then
    error("GhostModule: unknown variant '" .. tostring(variant) .. "' (known: gemm)")
  end
  local g, shared = M.stage(cfg)
  g.SHARED_FLOATS = shared
  g.variant, g.version = variant, M.version
  g.config = (cfg.config or ""):gsub("[\\\"]", "\\%0"):gsub("%*/", "* /")
  return T.render_file((cfg.gen_root or "gen") .. "/templates/ghost_gemm.c.in", g)
end

return M
