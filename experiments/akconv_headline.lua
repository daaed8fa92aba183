-- experiments/akconv_headline.lua — the README's table: AKConv with
-- num_param = 5 at the six YOLOv8n places the seed YAML uses, against the
-- Conv(k=3, s=2) it replaces, at 2 threads, with the peers beside it.
-- A few minutes; the full picture over num_param is akconv_params.lua.
--
-- Run: make sweep EXP=akconv_headline
local yolo = require "yolov8n_shapes"

return sweep {
  name        = "akconv_headline",
  description = "AKConv num_param=5 vs Conv k3 s2 at the six YOLOv8n layers of the seed YAML, 2 threads, imgsz 640",
  module      = "AKConv",
  baseline    = { module = "Conv", k = 3 },
  shapes      = yolo.layers { 1, 3, 5, 7, 16, 19 },
  args        = { num_param = { 5 }, grid = "ij" },
  backends    = { "ref", "gen", "torch", "ort", "openvino" },  -- peers, if installed (make peers)
  threads     = { 2 },
  init        = "random",
  quick = {
    shapes = yolo.layers { 5, 16 },
  },
}
