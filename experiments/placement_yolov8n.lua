-- experiments/placement_yolov8n.lua — issue 7: where in YOLOv8 do the seed
-- modules pay off?  Each placement is the base YAML edited in memory
-- (README "Placement sweeps"), measured as a whole model: params, GFLOPs
-- (thop and full), end-to-end latency of the generated graph, and its
-- ratio to the unmodified YOLOv8 (the base row).
-- `make sweep EXP=placement_yolov8n` (QUICK=1: scale n, a few placements).

-- Each layer of a list alone, then the list's subsets: {{...}, {...}, i, j, ...}.
local function subsets(groups, singles)
  local out = {}
  for _, g in ipairs(groups) do out[#out + 1] = g end
  for _, i in ipairs(singles) do out[#out + 1] = i end
  return out
end

local strided = { 1, 3, 5, 7, 16, 19 }            -- the AKConv/DynamicConv seeds' places
local c2f = { 2, 4, 6, 8, 12, 15, 18, 21 }         -- the C2f_DynamicConv seed's places

return placement {
  name    = "placement_yolov8n",
  model   = "yolov8.yaml",
  scales  = { "n", "s" },
  imgsz   = 640,
  threads = { 2 },
  places  = {
    { replace = "Conv", with = { module = "AKConv", num_param = 3 },
      at = subsets({ { 1, 3, 5, 7 }, { 16, 19 }, strided }, strided) },
    { replace = "Conv", with = { module = "DynamicConv" },
      at = subsets({ { 1, 3, 5, 7 }, { 16, 19 }, strided }, strided) },
    { replace = "C2f", with = { module = "C2f_GhostModule_DynamicConv" }, label = "C2f_DynamicConv",
      at = subsets({ { 2, 4, 6, 8 }, { 12, 15, 18, 21 }, c2f }, c2f) },
    -- an insertion: ACmix keeps channels; later `from` indices shift
    { after = { 15, 18, 21, { 15, 18, 21 } }, with = { module = "ACmix" } },
  },
  quick   = {
    scales = "n",
    imgsz  = 320,
    places = {
      { replace = "Conv", with = { module = "AKConv", num_param = 3 }, at = { strided, { 16, 19 } } },
      { replace = "C2f", with = { module = "C2f_GhostModule_DynamicConv" }, label = "C2f_DynamicConv",
        at = { c2f } },
      { after = { { 15, 18, 21 } }, with = { module = "ACmix" } },
    },
  },
}
