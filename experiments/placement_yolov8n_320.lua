-- experiments/placement_yolov8n_320.lua — placement_yolov8n's 34 placements
-- at 320x320 instead of 640, scales n and s: the same questions in about a
-- quarter of the time (the 640 sweep takes ~27 min on 2 vCPUs, most of it
-- the parity check through the scalar reference graph).  docs/charts.md
-- shows its charts.  `make sweep EXP=placement_yolov8n_320`.

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
  name    = "placement_yolov8n_320",
  model   = "yolov8.yaml",
  scales  = { "n", "s" },
  imgsz   = 320,
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
}
