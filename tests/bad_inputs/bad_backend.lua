return sweep { name = "x", module = "AKConv", shapes = {{layer = "A", c1 = 4, c2 = 8, h = 8, w = 8, stride = 2}}, backends = { "rocm" } }
