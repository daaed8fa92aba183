-- gen/cuda_detect.lua — CUDA kernels of Detect (YOLOv8): gen/detect.lua's
-- Conv branches and heads, rendered by gen/cuda_chain.lua through
-- templates/detect_gemm.cu.in with the DFL/anchor decode.
return require("cuda_chain").generator("detect")
