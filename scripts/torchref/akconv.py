"""AKConv (seed 000, CV-ZhangXin/AKConv model.py): the port, its sampling
coordinates and the border rule the goldens keep to (MODULES.md 5.1)."""
import math

import torch
import torch.nn as nn

BORDER_MARGIN = 1e-3  # MODULES.md 5.1: the AKConv sampler jumps at its clamp bounds


class AKConv(nn.Module):
    """AKConv ported from seed 000 (CV-ZhangXin/AKConv model.py).

    grid='ij' is the official torch.meshgrid default indexing; grid='xy' is
    the tutorial's indexing='xy' in all three meshgrids (MODULES.md 5.1 item 8).
    einops' rearrange is replaced by permute/reshape; the tutorial's clamp of
    the flat gather index is kept.  The no-op backward hook is dropped.
    """

    def __init__(self, inc, outc, num_param, stride=1, bias=None, grid='ij'):
        super().__init__()
        if grid not in ('ij', 'xy'):
            raise ValueError("AKConv: grid must be ij or xy")
        self.num_param = num_param
        self.stride = stride
        self.grid = grid
        self.conv = nn.Sequential(
            nn.Conv2d(inc, outc, kernel_size=(num_param, 1), stride=(num_param, 1), bias=bias),
            nn.BatchNorm2d(outc),
            nn.SiLU())
        self.p_conv = nn.Conv2d(inc, 2 * num_param, kernel_size=3, padding=1, stride=stride)
        nn.init.constant_(self.p_conv.weight, 0)

    def forward(self, x):
        offset = self.p_conv(x)
        N = offset.size(1) // 2
        p = self.get_p(offset)  # (b, 2N, h, w)
        p = p.contiguous().permute(0, 2, 3, 1)  # (b, h, w, 2N)
        q_lt = p.detach().floor()
        q_rb = q_lt + 1
        H1, W1 = x.size(2) - 1, x.size(3) - 1
        q_lt = torch.cat([q_lt[..., :N].clamp(0, H1), q_lt[..., N:].clamp(0, W1)], dim=-1).long()
        q_rb = torch.cat([q_rb[..., :N].clamp(0, H1), q_rb[..., N:].clamp(0, W1)], dim=-1).long()
        q_lb = torch.cat([q_lt[..., :N], q_rb[..., N:]], dim=-1)
        q_rt = torch.cat([q_rb[..., :N], q_lt[..., N:]], dim=-1)
        p = torch.cat([p[..., :N].clamp(0, H1), p[..., N:].clamp(0, W1)], dim=-1)

        g_lt = (1 + (q_lt[..., :N].type_as(p) - p[..., :N])) * (1 + (q_lt[..., N:].type_as(p) - p[..., N:]))
        g_rb = (1 - (q_rb[..., :N].type_as(p) - p[..., :N])) * (1 - (q_rb[..., N:].type_as(p) - p[..., N:]))
        g_lb = (1 + (q_lb[..., :N].type_as(p) - p[..., :N])) * (1 - (q_lb[..., N:].type_as(p) - p[..., N:]))
        g_rt = (1 - (q_rt[..., :N].type_as(p) - p[..., :N])) * (1 + (q_rt[..., N:].type_as(p) - p[..., N:]))

        x_offset = g_lt.unsqueeze(dim=1) * self._get_x_q(x, q_lt, N) + \
            g_rb.unsqueeze(dim=1) * self._get_x_q(x, q_rb, N) + \
            g_lb.unsqueeze(dim=1) * self._get_x_q(x, q_lb, N) + \
            g_rt.unsqueeze(dim=1) * self._get_x_q(x, q_rt, N)
        return self.conv(self._reshape_x_offset(x_offset))

    def _get_p_n(self, N, dtype):
        """Initial sampled shape: rows of round(sqrt(N)) points, remainder below."""
        base_int = round(math.sqrt(self.num_param))
        row_number = self.num_param // base_int
        mod_number = self.num_param % base_int
        p_n_x, p_n_y = torch.meshgrid(torch.arange(0, row_number), torch.arange(0, base_int),
                                      indexing=self.grid)
        p_n_x, p_n_y = torch.flatten(p_n_x), torch.flatten(p_n_y)
        if mod_number > 0:
            mod_x, mod_y = torch.meshgrid(torch.arange(row_number, row_number + 1),
                                          torch.arange(0, mod_number), indexing=self.grid)
            p_n_x = torch.cat((p_n_x, torch.flatten(mod_x)))
            p_n_y = torch.cat((p_n_y, torch.flatten(mod_y)))
        return torch.cat([p_n_x, p_n_y], 0).view(1, 2 * N, 1, 1).to(dtype)

    def _get_p_0(self, h, w, N, dtype):
        """Base positions, no padding.  With 'xy' the meshgrid is (w, h) shaped
        and is *reinterpreted* as (h, w) by view(): transposed when h == w,
        scrambled otherwise (this is the tutorial's behaviour, kept on purpose)."""
        p_0_x, p_0_y = torch.meshgrid(torch.arange(0, h * self.stride, self.stride),
                                      torch.arange(0, w * self.stride, self.stride),
                                      indexing=self.grid)
        p_0_x = torch.flatten(p_0_x).view(1, 1, h, w).repeat(1, N, 1, 1)
        p_0_y = torch.flatten(p_0_y).view(1, 1, h, w).repeat(1, N, 1, 1)
        return torch.cat([p_0_x, p_0_y], 1).to(dtype)

    def get_p(self, offset):
        """Sampling coordinates (b, 2N, h, w): rows in channels [0,N), columns in [N,2N)."""
        N, h, w = offset.size(1) // 2, offset.size(2), offset.size(3)
        return self._get_p_0(h, w, N, offset.dtype) + self._get_p_n(N, offset.dtype) + offset

    @staticmethod
    def _get_x_q(x, q, N):
        b, h, w, _ = q.size()
        padded_w = x.size(3)
        c = x.size(1)
        x = x.contiguous().view(b, c, -1)
        index = q[..., :N] * padded_w + q[..., N:]
        index = index.contiguous().unsqueeze(dim=1).expand(-1, c, -1, -1, -1).contiguous().view(b, c, -1)
        index = index.clamp(min=0, max=x.shape[-1] - 1)
        return x.gather(dim=-1, index=index).contiguous().view(b, c, h, w, N)

    @staticmethod
    def _reshape_x_offset(x_offset):
        """einops 'b c h w n -> b c (h n) w'."""
        b, c, h, w, n = x_offset.size()
        return x_offset.permute(0, 1, 2, 4, 3).reshape(b, c, h * n, w)


def sampling_coords(m, x):
    """AKConv's unclamped sampling coordinates p, (b, 2N, Ho, Wo)."""
    with torch.no_grad():
        return m.get_p(m.p_conv(x))


def border_stats(m, x):
    """(smallest distance of any coordinate to its clamp bounds, fraction of
    coordinates outside the map).  MODULES.md 5.1: the sampler is
    discontinuous at 0 and H-1 (W-1), so parity inputs keep away from them."""
    p = sampling_coords(m, x).double()
    N = p.size(1) // 2
    rows, cols = p[:, :N], p[:, N:]
    H1, W1 = x.size(2) - 1, x.size(3) - 1
    margin = min(rows.abs().min().item(), (rows - H1).abs().min().item(),
                 cols.abs().min().item(), (cols - W1).abs().min().item())
    outside = ((rows < 0) | (rows > H1)).sum().item() + ((cols < 0) | (cols > W1)).sum().item()
    return margin, outside / (2.0 * rows.numel())
