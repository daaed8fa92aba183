return sweep { name = "x", module = "AKConv", shapes = {{layer = "A", c1 = 4, c2 = 8, h = 0, w = 8, stride = 2}} }
