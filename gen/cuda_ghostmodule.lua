-- gen/cuda_ghostmodule.lua — CUDA kernels of ParameterNet's GhostModule
-- (MODULES.md 5.5): two DynamicConvs (no bias, sigmoid routing), each +
-- BN (+ ReLU), concat, slice to oup.
--
-- Variant gemm (templates/ghost_gemm.cu.in over runtime/ablate_cuda_ghost.h):
-- each DynamicConv is one "stage": channel means, routing and expert mixing
-- as element kernels, per image an im2col and one cuBLAS sgemm per group
-- with the image's mixed kernel, then BN (+ ReLU) in place and the kept
-- channels copied into y.  The stage sizes are gen/ghost_plan.lua's;
-- M.module gives gen/cuda_chain.lua (C2f_GhostModule_DynamicConv) the same
-- struct for GhostModules inside a block.
local G = require "ghostmodule"
local CU = require "cuda_util"

local M = { version = 1, variants = { "gemm" } }

-- struct abl_ghost's initializer (runtime/ablate_cuda_ghost.h) and its
-- workspace floats, for stage sizes st (ghost_plan.stage): y has y_chans
-- channels per image and the module writes from channel y_c0; input
-- images are in_img floats apart.
function M.module(st, y_chans, y_c0, in_img)
  local pix = st.HO * st.WO
  local function stage(c, h, w, k, s, cout, groups, wi, keep, c0, img)
    return string.format("{{%d, %d, %d, %d, %d, %d, %d, 1, %d, %d}, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d}",
      c, h, w, k, s, k // 2, k // 2, st.HO, st.WO, st.N, cout, groups, wi, keep, c0, y_chans, st.E,
      st.RELU, img)
  end
  local primary = stage(st.INP, st.H, st.W, st.K, st.S, st.INIT, 1, 0, st.INIT, y_c0, in_img)
  local cheap = stage(st.INIT, st.HO, st.WO, st.DW, 1, st.NEW, st.INIT, 8, st.OUP - st.INIT,
    y_c0 + st.INIT, st.INIT * pix)
  -- workspace: x1, x2 (N x channels x pix), then per stage means, routing,
  -- mixed kernels, BN scale/shift, and one image's columns
  local at, offs = 0, {}
  local function region(floats) offs[#offs + 1] = at; at = at + floats end
  region(st.N * st.INIT * pix)
  region(st.N * st.NEW * pix)
  region(st.N * math.max(st.INP, st.INIT))
  region(st.N * st.E)
  region(st.N * math.max(st.INIT * st.INP * st.K * st.K, st.NEW * st.DW * st.DW))
  region(2 * math.max(st.INIT, st.NEW))
  region(math.max(st.INP * st.K * st.K, st.INIT * st.DW * st.DW) * pix)
  return string.format("{%s, %s, %s, %d}", primary, cheap, table.concat(offs, ", "), at), at
end

function M.render(cfg, variant)
  if variant ~= "gemm" then
    error("GhostModule: unknown CUDA variant '" .. tostring(variant) .. "' (known: gemm)")
  end
  local g = G.stage(cfg)
  g.variant, g.version = variant, M.version
  g.GHOST, g.WS_FLOATS = M.module(g, g.OUP, 0, g.INP * g.H * g.W)
  return CU.render(cfg, g, "ghost_gemm")
end

return M
