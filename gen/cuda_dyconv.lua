-- gen/cuda_dyconv.lua — CUDA kernels of DYConv2d: gen/cuda_dynconv.lua with
-- gen/dyconv.lua's geometry (softmax routing).
return require("cuda_dynconv").generator("dyconv")
