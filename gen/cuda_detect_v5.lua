-- gen/cuda_detect_v5.lua — CUDA kernels of DetectV5 (YOLOv5, anchor-based):
-- gen/detect_v5.lua's 1x1 heads, rendered by gen/cuda_chain.lua through
-- templates/detect_v5_gemm.cu.in with the sigmoid and grid/anchor decode.
return require("cuda_chain").generator("detect_v5")
