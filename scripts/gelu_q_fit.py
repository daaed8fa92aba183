#!/usr/bin/env python3
"""scripts/gelu_q_fit.py — the coefficients of ABL_GELU_Q (abl_gelu16,
gen/runtime/ablate_dcnv3_ew.h) and their error.

q(a) = Phi(-a) = erfc(a / sqrt 2) / 2 on [0, L) in N intervals (16: one
zmm a coefficient; 8: one ymm, abl_gelu8): a = (i + f) L / N, f in [0, 1); per interval the degree-D polynomial in f that
interpolates q at the D + 1 Chebyshev nodes of [0, 1] (near minimax),
solved in double.  Prints the largest |q error| over 2001 points an
interval with the coefficients rounded to float and evaluated in double,
then the table rows (f^D .. f^0, lane i = interval i).  No numpy: pure
Python.  Usage: scripts/gelu_q_fit.py [L [D [N]]]  (the header: 5.6 5 16
for ABL_GELU_Q, 5.6 7 8 for ABL_GELU_Q8).
"""
import math
import struct
import sys


def q(a):
    return 0.5 * math.erfc(a / math.sqrt(2.0))


def solve(a, b):
    """Gaussian elimination with partial pivoting (a: n x n, b: n)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                fct = m[r][c] / m[c][c]
                for k in range(c, n + 1):
                    m[r][k] -= fct * m[c][k]
    return [m[i][n] / m[i][i] for i in range(n)]


def to_float(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def main():
    lim = float(sys.argv[1]) if len(sys.argv) > 1 else 5.6
    deg = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    nint = int(sys.argv[3]) if len(sys.argv) > 3 else 16
    k = nint / lim
    nodes = [0.5 + 0.5 * math.cos(math.pi * (2 * j + 1) / (2 * (deg + 1))) for j in range(deg + 1)]
    coef = []
    for i in range(nint):
        a = [[f**e for e in range(deg + 1)] for f in nodes]
        coef.append(solve(a, [q((i + f) / k) for f in nodes]))
    worst = 0.0
    for i in range(nint):
        c = [to_float(x) for x in coef[i]]
        for j in range(2001):
            f = j / 2000.0
            p = 0.0
            for e in range(deg, -1, -1):
                p = p * f + c[e]
            worst = max(worst, abs(p - q((i + f) / k)))
    print("/* L %.4g D %d N %d: max |q error| %.3g (float coefficients, double evaluation); q(L) = %.3g */"
          % (lim, deg, nint, worst, q(lim)))
    for e in range(deg, -1, -1):
        print("{" + ", ".join("%.9ef" % coef[i][e] for i in range(nint)) + "},")


if __name__ == "__main__":
    main()
