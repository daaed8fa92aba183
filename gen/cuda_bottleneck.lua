-- gen/cuda_bottleneck.lua — CUDA kernels of bottleneck: gen/bottleneck.lua's Conv chain
-- rendered by gen/cuda_chain.lua.
return require("cuda_chain").generator("bottleneck")
