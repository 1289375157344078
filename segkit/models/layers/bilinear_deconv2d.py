"""A learnable 2x upsampling that starts as exact bilinear interpolation."""
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn


class BilinearDeconv2d(nn.ConvTranspose2d):
    """``ConvTranspose2d(channels, channels, 3, stride=2, padding=1)`` initialised to bilinear
    interpolation of each channel on its own, exact at every border.

    Coarse pixel i lands on fine pixel 2i (the transpose of a stride-2 3x3 conv with
    padding 1), and fine pixel 2i + 1 is the mean of coarse pixels i and i + 1. A plain
    transposed conv has no pixel h past the last one, so an even output (2h) would get
    only half of the last coarse row/column on its last row/column; the input is
    therefore padded by repeating its last row and column, which makes the last fine
    pixel a copy of the last coarse one. Odd outputs (2h - 1) are unchanged by it. At
    init a constant map stays constant everywhere; the weights stay learnable.
    """

    def __init__(self, channels: int):
        super().__init__(channels, channels, kernel_size=3, stride=2, padding=1)
        taps = torch.tensor([0.5, 1.0, 0.5])
        with torch.no_grad():
            self.weight.zero_()
            for c in range(channels):
                self.weight[c, c] = taps[:, None] * taps[None, :]
            self.bias.zero_()

    def forward(self, x: torch.Tensor, output_size: Sequence[int]) -> torch.Tensor:
        """Upsample ``(N, C, h, w)`` to ``output_size`` (2h - 1 or 2h, 2w - 1 or 2w)."""
        (h, w), (out_h, out_w) = x.shape[-2:], output_size[-2:]
        if not (2 * h - 1 <= out_h <= 2 * h and 2 * w - 1 <= out_w <= 2 * w):
            raise ValueError(f'BilinearDeconv2d doubles a size: {h}x{w} gives {2 * h - 1} or '
                             f'{2 * h} x {2 * w - 1} or {2 * w}, not {out_h}x{out_w}')
        x = F.pad(x, (0, 1, 0, 1), mode='replicate')
        return super().forward(x)[..., :out_h, :out_w]
