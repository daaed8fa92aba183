-- gen/cuda_akconv.lua — CUDA kernels of AKConv (MODULES.md 5.1).
--
-- Variant gemm (templates/akconv_gemm.cu.in): p_conv offsets (one thread
-- per offset), the clamped bilinear samples of one image into a column
-- matrix (one thread per channel x point x pixel), the column conv as one
-- cuBLAS sgemm per image, then bias + BN + SiLU (one thread per output).
-- Shapes and the sampling shape p_n come from gen/akconv.lua, so the C and
-- CUDA kernels of one configuration sample the same points.
local A = require "akconv"
local CU = require "cuda_util"

local M = { version = 1, variants = { "gemm" } }

function M.render(cfg, variant)
  if variant ~= "gemm" then
    error("AKConv: unknown CUDA variant '" .. tostring(variant) .. "' (known: gemm)")
  end
  local s = A.shapes(cfg)
  s.variant, s.version = variant, M.version
  s.args_text = string.format("inc=%d outc=%d num_param=%d stride=%d bias=%d grid=%s bn_eps=%s",
    s.C, s.OUTC, s.N, s.S, s.BIAS, s.GRID, s.EPS)
  s.GRID_IJ = s.GRID == "ij" and 1 or 0
  s.PN_ROWS, s.PN_COLS = A.clist(s.PN_ROW), A.clist(s.PN_COL)
  s.WS_SHIFT = s.OUTC
  s.WS_OFF = 2 * s.OUTC
  s.WS_COL = s.WS_OFF + s.B * 2 * s.N * s.P
  s.WS_FLOATS = s.WS_COL + s.C * s.N * s.P
  return CU.render(cfg, s, "akconv_gemm")
end

return M
