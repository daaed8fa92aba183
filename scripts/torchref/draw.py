"""The two random draws every module's weights and inputs are made of.
Their order of calls on one torch.Generator fixes every golden's bytes, so
all families draw through these two."""
import torch


def randn(shape, gen, scale=1.0):
    return torch.randn(shape, generator=gen, dtype=torch.float32) * scale


def uniform(shape, gen, lo, hi):
    return lo + (hi - lo) * torch.rand(shape, generator=gen, dtype=torch.float32)
