"""ACmix (seed 001) for the PyTorch-side scripts: the port of the official
module and an independent re-implementation of MODULES.md 5.2 used by
torch_golden.py --verify.  Built through registry.py, which the goldens,
the parity-case and peer scripts all use, so all of them mean the same ACmix.
Runs on Debian's python3-torch 1.13 alone (numpy comes with it)."""
import math

import numpy as np
import torch
import torch.nn as nn


def _acmix_position(H, W, dtype):
    """The seed's position(): a (1, 2, H, W) grid of linspace(-1, 1) x and y."""
    loc_w = torch.linspace(-1.0, 1.0, W).unsqueeze(0).repeat(H, 1)
    loc_h = torch.linspace(-1.0, 1.0, H).unsqueeze(1).repeat(1, W)
    return torch.cat([loc_w.unsqueeze(0), loc_h.unsqueeze(0)], 0).unsqueeze(0).to(dtype)


class ACmix(nn.Module):
    """ACmix ported from seed 001 (LeapLabTHU/ACmix test_bottleneck.py; the two
    agree, MODULES.md 7).  CPU path only; dep_conv ends up without bias
    (reset_parameters assigns it init_rate_0(...), which returns None)."""

    def __init__(self, in_planes, out_planes, kernel_att=7, head=4, kernel_conv=3, stride=1,
                 dilation=1):
        super().__init__()
        self.out_planes, self.head, self.kernel_att = out_planes, head, kernel_att
        self.kernel_conv, self.stride = kernel_conv, stride
        self.rate1 = torch.nn.Parameter(torch.Tensor(1))
        self.rate2 = torch.nn.Parameter(torch.Tensor(1))
        self.head_dim = out_planes // head
        self.conv1 = nn.Conv2d(in_planes, out_planes, kernel_size=1)
        self.conv2 = nn.Conv2d(in_planes, out_planes, kernel_size=1)
        self.conv3 = nn.Conv2d(in_planes, out_planes, kernel_size=1)
        self.conv_p = nn.Conv2d(2, self.head_dim, kernel_size=1)
        self.padding_att = (dilation * (kernel_att - 1) + 1) // 2
        self.pad_att = torch.nn.ReflectionPad2d(self.padding_att)
        self.unfold = nn.Unfold(kernel_size=kernel_att, padding=0, stride=stride)
        self.softmax = torch.nn.Softmax(dim=1)
        self.fc = nn.Conv2d(3 * head, kernel_conv * kernel_conv, kernel_size=1, bias=False)
        self.dep_conv = nn.Conv2d(kernel_conv * kernel_conv * self.head_dim, out_planes,
                                  kernel_size=kernel_conv, bias=True, groups=self.head_dim,
                                  padding=1, stride=stride)
        self.reset_parameters()

    def reset_parameters(self):
        self.rate1.data.fill_(0.5)
        self.rate2.data.fill_(0.5)
        kc = self.kernel_conv
        kernel = torch.zeros(kc * kc, kc, kc)
        for i in range(kc * kc):
            kernel[i, i // kc, i % kc] = 1.
        kernel = kernel.squeeze(0).repeat(self.out_planes, 1, 1, 1)
        self.dep_conv.weight = nn.Parameter(data=kernel, requires_grad=True)
        self.dep_conv.bias = None

    def forward(self, x):
        q, k, v = self.conv1(x), self.conv2(x), self.conv3(x)
        scaling = float(self.head_dim) ** -0.5
        b, c, h, w = q.shape
        s, hd, ka = self.stride, self.head_dim, self.kernel_att
        h_out, w_out = h // s, w // s
        pe = self.conv_p(_acmix_position(h, w, x.dtype))
        q_att = q.view(b * self.head, hd, h, w) * scaling
        k_att = k.view(b * self.head, hd, h, w)
        v_att = v.view(b * self.head, hd, h, w)
        if s > 1:
            q_att = q_att[:, :, ::s, ::s]
            q_pe = pe[:, :, ::s, ::s]
        else:
            q_pe = pe
        unfold_k = self.unfold(self.pad_att(k_att)).view(b * self.head, hd, ka * ka, h_out, w_out)
        unfold_rpe = self.unfold(self.pad_att(pe)).view(1, hd, ka * ka, h_out, w_out)
        att = (q_att.unsqueeze(2) * (unfold_k + q_pe.unsqueeze(2) - unfold_rpe)).sum(1)
        att = self.softmax(att)
        out_att = self.unfold(self.pad_att(v_att)).view(b * self.head, hd, ka * ka, h_out, w_out)
        out_att = (att.unsqueeze(1) * out_att).sum(2).view(b, self.out_planes, h_out, w_out)
        f_all = self.fc(torch.cat([q.view(b, self.head, hd, h * w), k.view(b, self.head, hd, h * w),
                                   v.view(b, self.head, hd, h * w)], 1))
        f_conv = f_all.permute(0, 2, 1, 3).reshape(x.shape[0], -1, x.shape[-2], x.shape[-1])
        out_conv = self.dep_conv(f_conv)
        return self.rate1 * out_att + self.rate2 * out_conv


def acmix_spec(a, sd, x):
    """ACmix written from MODULES.md 5.2 steps 1-8 (float64, explicit
    reflection indices), independently of the port above.  a: the resolved
    constructor arguments, sd: state_dict tensors, x: the input."""
    C, Hd, ka, s = a['out_planes'], a['head'], a['kernel_att'], a['stride']
    hd, pad = C // Hd, ka // 2
    X = x.double().numpy()
    B, _, H, W = X.shape
    Ho, Wo = H // s, W // s
    g = lambda n: sd[n].double().numpy()
    proj = [np.einsum('oc,bchw->bohw', g('conv%d.weight' % i)[:, :, 0, 0], X)
            + g('conv%d.bias' % i)[None, :, None, None] for i in (1, 2, 3)]
    q, k, v = proj
    lw = torch.linspace(-1.0, 1.0, W).double().numpy()
    lh = torch.linspace(-1.0, 1.0, H).double().numpy()
    wp, bp = g('conv_p.weight')[:, :, 0, 0], g('conv_p.bias')
    pe = wp[:, 0, None, None] * lw[None, None, :] + wp[:, 1, None, None] * lh[None, :, None] + bp[:, None, None]
    R = lambda t, n: -t if t < 0 else (2 * (n - 1) - t if t > n - 1 else t)
    att = np.zeros((B, C, Ho, Wo))
    for oy in range(Ho):
        for ox in range(Wo):
            taps = [(R(oy * s + t // ka - pad, H), R(ox * s + t % ka - pad, W)) for t in range(ka * ka)]
            ys, xs = [t[0] for t in taps], [t[1] for t in taps]
            for h in range(Hd):
                sl = slice(h * hd, h * hd + hd)
                Q = q[:, sl, oy * s, ox * s] / math.sqrt(hd)                       # (B, hd)
                K = k[:, sl][:, :, ys, xs] + pe[None, :, oy * s, ox * s, None] - pe[None, :, ys, xs]
                L = np.einsum('bd,bdt->bt', Q, K)
                P = np.exp(L - L.max(1, keepdims=True))
                P /= P.sum(1, keepdims=True)
                att[:, sl, oy, ox] = np.einsum('bt,bdt->bd', P, v[:, sl][:, :, ys, xs])
    qkv = np.concatenate(proj, 1).reshape(B, 3 * Hd, hd, H, W)
    f = np.einsum('tc,bcdhw->bdthw', g('fc.weight')[:, :, 0, 0], qkv).reshape(B, hd * 9, H, W)
    conv = torch.nn.functional.conv2d(torch.from_numpy(f), sd['dep_conv.weight'].double(), None,
                                      s, 1, 1, hd).numpy()
    return g('rate1')[0] * att + g('rate2')[0] * conv
