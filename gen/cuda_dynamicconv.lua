-- gen/cuda_dynamicconv.lua — CUDA kernels of DynamicConv: gen/cuda_dynconv.lua
-- with gen/dynamicconv.lua's geometry (sigmoid routing).
return require("cuda_dynconv").generator("dynamicconv")
