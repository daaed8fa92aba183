-- gen/cuda_c3_dlka.lua — CUDA kernels of C3_DCNv3_DLKA (MODULES.md 6.3):
-- gen/c3_dlka.lua's block (the C3 Convs and, after each bottleneck's cv2,
-- a deformable_LKA_Attention) rendered through templates/c3_dlka.cu.in:
-- the Convs as runtime/ablate_cuda_chain.h's layers, the attentions as
-- runtime/ablate_cuda_dlka.h's (gen/cuda_dlka.lua's plan), in the block's
-- order.  Buffers as the CPU kernel's: 2 = the concat, 3 and 4 =
-- bottleneck inputs/outputs in turn, 5 = a bottleneck's hidden map, 6 =
-- cv2's output (the attention's input).  The last attention writes into
-- the concat's first half with z added when shortcut, so the concat moves
-- no data.
local B = require "c3_dlka"
local CH = require "cuda_chain"
local CL = require "cuda_dlka"
local CU = require "cuda_util"

local M = { version = 1, variants = { "gemm" } }

function M.render(cfg, variant)
  if variant ~= "gemm" then
    error("C3_DCNv3_DLKA: unknown CUDA variant '" .. tostring(variant) .. "' (known: gemm)")
  end
  local g = B.block(cfg)
  g.variant, g.version = variant, M.version
  g.ATT, g.EXTRA_FLOATS = CL.attention(g.ATT_VARIANT, g.N, g.CH, g.H, g.W)
  for _, s in ipairs(g.STEPS) do
    -- the attention reads and adds contiguous maps of CH channels
    assert(not s.res or s.res[2] == g.CH, "C3_DCNv3_DLKA: residual is not a whole buffer")
  end
  CH.plan(g)
  return CU.render(cfg, g, "c3_dlka")
end

return M
