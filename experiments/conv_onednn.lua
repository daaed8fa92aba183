-- experiments/conv_onednn.lua — the Conv row against the vendor library:
-- every generated Conv variant beside oneDNN 2.6 (impl=onednn: BN folded,
-- SiLU as a post-op, weights reordered once, NCHW at the boundary with
-- the reorders counted; harness/onednn.h) at the dense Convs of YOLOv8n
-- at 640 (layers 0, 1, 3, 5, 7 and the head's 16, 19), plus the 1x1 and
-- depthwise shapes a C2f / a depthwise stem meets.  The impl=onednn rows
-- are in results.csv (message: the layout and oneDNN kernel that ran); the
-- report's summary and charts show the generated kernels only, so no charts
-- are asked for here.  The deployment peers (PyTorch eager, ONNX Runtime,
-- OpenVINO) are in the summary's peer columns.
--
-- Run: make sweep EXP=conv_onednn          (1 and 2 threads)
--      make sweep EXP=conv_onednn QUICK=1  (1 thread, shorter timing)
local yolo = require "yolov8n_shapes"

local rows = yolo.layers { 0, 1, 3, 5, 7, 16, 19 }
for _, r in ipairs(rows) do
  r.args = { k = 3 }
end
rows[#rows + 1] = { layer = "1x1 64@80", c1 = 64, c2 = 64, h = 80, w = 80, stride = 1, args = { k = 1 } }
rows[#rows + 1] = { layer = "1x1 384@20", c1 = 384, c2 = 256, h = 20, w = 20, stride = 1, args = { k = 1 } }
rows[#rows + 1] = { layer = "dw3 64@80", c1 = 64, c2 = 64, h = 80, w = 80, stride = 1, args = { k = 3, g = 64 } }
rows[#rows + 1] = { layer = "dw5 128@40 s2", c1 = 128, c2 = 128, h = 40, w = 40, stride = 2, args = { k = 5, g = 128 } }

return sweep {
  name        = "conv_onednn",
  description = "Conv (k3 s2 YOLOv8n layers, 1x1, depthwise): generated variants vs oneDNN, imgsz 640",
  module      = "Conv",
  shapes      = rows,
  backends    = { "ref", "gen", "onednn", "torch", "ort", "openvino" },  -- peers: docs/peers.md (make peers), if installed
  threads     = { 1, 2 },
  quick = {
    threads = { 1 },   -- 1 thread: a co-tenant stalls 2-thread barriers far more (MACHINE.md)
  },
}
