-- tests/slurm/tiny_sweep.lua — the sweep scripts/test_slurm.sh runs as a
-- Slurm job array (and once on one machine, to compare): 2 small shapes x
-- (Conv baseline + 4 AKConv num_param values), ref + gen:gemm, one thread.
-- A few seconds per shard with --quick, so the test fits in CI.  Its one
-- chart (params: no timing in it) checks that a merge draws from all rows.
return sweep {
  name     = "tiny_sweep",
  module   = "AKConv",
  baseline = { module = "Conv", k = 3 },
  shapes   = { { layer = "A", c1 = 4, c2 = 8, h = 12, w = 10, stride = 2 },
               { layer = "B", c1 = 8, c2 = 8, h = 7, w = 9, stride = 1 } },
  args     = { num_param = { 1, 2, 3, 5 } },
  variants = { "gemm" },
  threads  = { 1 },
  charts   = { { y = "params", by = "layer", threads = 1, title = "Parameters vs num_param" } },
}
