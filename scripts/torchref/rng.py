"""kernels/rng.c in Python and PyTorch: xoshiro128** seeded by splitmix64
(Blackman & Vigna's reference code, transcribed), its floats computed with
torch, for the golden tests/goldens/rng_stream.safetensors.

The C generator is not a PyTorch module; this golden pins the stream and
its two float conversions (uniform: (next >> 8) * 2^-24 in float32;
normal: Box-Muller in float64 on 1 - u1 and u2, rounded to float32) to an
independent implementation, so that scripts/ that redraw the harness's
random weights stay in step with it."""
import math

import torch

M32, M64 = 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF
SEEDS = (0, 7, 42, 0xcbf29ce484222325)  # the last: FNV-1a of "" (hash_str)
N_NEXT, N_NORMAL = 64, 32


def _splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return x, z ^ (z >> 31)


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


def stream(seed, n):
    """The first n outputs of rng_next after rng_seed(seed)."""
    s, x = [], seed
    for _ in range(2):
        x, v = _splitmix64(x)
        s += [v & M32, v >> 32]
    out = []
    for _ in range(n):
        out.append((_rotl((s[1] * 5) & M32, 7) * 9) & M32)
        t = (s[1] << 9) & M32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 11)
    return out


def uniforms(nexts):
    """rng_uniform of each output, float32."""
    return (torch.tensor(nexts, dtype=torch.int64) >> 8).to(torch.float32) * (1.0 / 16777216.0)


def normals(seed, n):
    """n successive rng_normal after rng_seed(seed): two uniforms each."""
    u = uniforms(stream(seed, 2 * n)).to(torch.float64).view(n, 2)
    z = torch.sqrt(-2.0 * torch.log(1.0 - u[:, 0])) * torch.cos(2.0 * math.pi * u[:, 1])
    return z.to(torch.float32)


def golden_tensors():
    """seeds [S], next [S][N_NEXT] (int64), uniform [S][N_NEXT], normal [S][N_NORMAL]."""
    seeds = [s if s < 2 ** 63 else s - 2 ** 64 for s in SEEDS]  # I64 holds the bit pattern
    nexts = [stream(s, N_NEXT) for s in SEEDS]
    return {'seed': torch.tensor(seeds, dtype=torch.int64),
            'next': torch.tensor(nexts, dtype=torch.int64),
            'uniform': torch.stack([uniforms(v) for v in nexts]),
            'normal': torch.stack([normals(s, N_NORMAL) for s in SEEDS])}
