-- gen/cuda_ghostmodule.lua — CUDA kernels of ParameterNet's GhostModule
-- (MODULES.md 5.5): two DynamicConvs (no bias, sigmoid routing), each +
-- BN (+ ReLU), concat, slice to oup.
--
-- Variant gemm (templates/ghost_gemm.cu.in): each DynamicConv is one
-- "stage": channel means, routing and expert mixing as element kernels,
-- per image an im2col and one cuBLAS sgemm per group with the image's
-- mixed kernel, then BN (+ ReLU) in place and the kept channels copied
-- into y.  The stage sizes are gen/ghost_plan.lua's.
local P = require "ghost_plan"
local CU = require "cuda_util"

local M = { version = 1, variants = { "gemm" } }

function M.render(cfg, variant)
  if variant ~= "gemm" then
    error("GhostModule: unknown CUDA variant '" .. tostring(variant) .. "' (known: gemm)")
  end
  local a, i, int = cfg.args, cfg.input, P.int
  assert(int(a.inp) == int(i.c), "GhostModule: input channels differ from inp")
  local g = P.stage({ n = int(i.n), inp = int(a.inp), oup = int(a.oup), h = int(i.h), w = int(i.w),
                      k = int(a.kernel_size), ratio = int(a.ratio), dw = int(a.dw_size),
                      stride = int(a.stride), experts = int(a.num_experts),
                      relu = a.act == "relu" and 1 or 0 }, 0)
  g.EPS = string.format("%.17g", a.bn_eps or 1e-5)
  g.args_text = string.format(
    "inp=%d oup=%d kernel_size=%d ratio=%d dw_size=%d stride=%d act=%s num_experts=%d bn_eps=%s",
    g.INP, g.OUP, g.K, g.PER_IN + 1, g.DW, g.S, a.act, g.E, g.EPS)
  g.variant, g.version = variant, M.version
  local pix = g.HO * g.WO
  -- workspace: x1, x2 (N x channels x pix), then per stage means, routing,
  -- mixed kernels, BN scale/shift, and one image's columns
  local at = 0
  local function region(name, floats) g[name] = at; at = at + floats end
  region("WS_X1", g.N * g.INIT * pix)
  region("WS_X2", g.N * g.NEW * pix)
  region("WS_MEAN", g.N * math.max(g.INP, g.INIT))
  region("WS_COEF", g.N * g.E)
  region("WS_MIX", g.N * math.max(g.INIT * g.KDIM, g.NEW * g.DW * g.DW))
  region("WS_BN", 2 * math.max(g.INIT, g.NEW))
  region("WS_COL", math.max(g.INP * g.K * g.K, g.INIT * g.DW * g.DW) * pix)
  g.WS_FLOATS = at
  return CU.render(cfg, g, "ghost_gemm")
end

return M
