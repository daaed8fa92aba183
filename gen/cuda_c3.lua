-- gen/cuda_c3.lua — CUDA kernels of c3: gen/c3.lua's Conv chain
-- rendered by gen/cuda_chain.lua.
return require("cuda_chain").generator("c3")
