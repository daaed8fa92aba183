-- gen/cuda_sppf.lua — CUDA kernels of sppf: gen/sppf.lua's Conv chain with
-- its max pools, rendered by gen/cuda_chain.lua.
return require("cuda_chain").generator("sppf")
