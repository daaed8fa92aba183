return sweep { name = "x", module = "AKConv", shapes = "all" }
