return sweep { name = "x", module = "AKConv", shapes = {{layer = "A", c1 = 4096, c2 = 4096, h = 100000, w = 100000, stride = 1}}, args = { num_param = 3 } }
