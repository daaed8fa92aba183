-- gen/cuda_c2f_ghost.lua — CUDA kernels of C2f_GhostModule_DynamicConv
-- (MODULES.md 5.6): gen/c2f_ghost.lua's block (cv1, n GhostModules on
-- slices of the concat, cv2), rendered by gen/cuda_chain.lua through
-- templates/c2f_ghost_gemm.cu.in (the GhostModules are
-- runtime/ablate_cuda_ghost.h's, as the GhostModule row's).
return require("cuda_chain").generator("c2f_ghost")
