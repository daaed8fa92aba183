-- gen/cuda_conv.lua — CUDA kernels of ultralytics Conv (MODULES.md 3.1):
-- Conv2d (no bias) + BatchNorm2d + SiLU, the baseline of every module.
--
-- Variants:
--   gemm    im2col of one image (element kernel), cuBLAS sgemm per group,
--           BN+SiLU epilogue (element kernel); templates/conv_gemm.cu.in
--   direct  one thread per output element, the whole dot product in
--           registers; templates/conv_direct.cu.in
--   cudnn   the vendor baseline: cuDNN's fastest forward algorithm
--           (cudnnFindConvolutionForwardAlgorithm) + a BN/SiLU epilogue;
--           the host emulation runs the direct convolution in its place
--           (templates/conv_direct.cu.in with CUDNN set)
-- Both compute with the geometry of gen/conv.lua, so the CPU and CUDA
-- kernels of one configuration agree on padding and output size.
local C = require "conv"
local CU = require "cuda_util"

local M = { version = 1, variants = { "gemm", "direct", "cudnn" } }

function M.render(cfg, variant)
  local g = C.geometry(cfg)
  g.variant, g.version = variant, M.version
  if variant == "gemm" then
    g.WS_SHIFT = g.C2
    g.WS_COL = 2 * g.C2
    g.WS_FLOATS = g.WS_COL + g.C1 * g.K * g.K * g.PIX
    return CU.render(cfg, g, "conv_gemm")
  elseif variant == "direct" or variant == "cudnn" then
    g.CUDNN = variant == "cudnn"
    g.WS_SHIFT = g.C2
    g.WS_FLOATS = 2 * g.C2
    return CU.render(cfg, g, "conv_direct")
  end
  error("Conv: unknown CUDA variant '" .. tostring(variant) .. "' (known: gemm, direct, cudnn)")
end

return M
