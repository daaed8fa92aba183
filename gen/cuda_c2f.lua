-- gen/cuda_c2f.lua — CUDA kernels of c2f: gen/c2f.lua's Conv chain
-- rendered by gen/cuda_chain.lua.
return require("cuda_chain").generator("c2f")
