"""GlobalConvBlock: the large separable kernel of GCN ("Large Kernel Matters")."""
import torch
from torch import nn

from segkit.registry import MODELS
from segkit.utils.errors import ConfigError


@MODELS.register_module()
class GlobalConvBlock(nn.Module):
    """Global Convolutional Network block (Peng et al. 2017).

    Two branches, ``k x 1 -> 1 x k`` and ``1 x k -> k x 1``, summed; no norm, no ReLU.
    Together they see a dense ``k x k`` window (a pixel up to ``k // 2`` away in each
    direction) with ``2k`` instead of ``k^2`` weights per input-output channel pair.

    Args:
        in_channels: input channels.
        out_channels: output channels (the number of classes in GCN).
        kernel_size: k, odd so that padding ``k // 2`` keeps the spatial size.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 15):
        super().__init__()
        if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
            raise ConfigError(f'GlobalConvBlock kernel_size {kernel_size!r}: expected an odd '
                              'positive int (padding k // 2 keeps the size only for odd k)')
        pad = kernel_size // 2
        self.conv_l1 = nn.Conv2d(in_channels, out_channels, (kernel_size, 1), padding=(pad, 0))
        self.conv_l2 = nn.Conv2d(out_channels, out_channels, (1, kernel_size), padding=(0, pad))
        self.conv_r1 = nn.Conv2d(in_channels, out_channels, (1, kernel_size), padding=(0, pad))
        self.conv_r2 = nn.Conv2d(out_channels, out_channels, (kernel_size, 1), padding=(pad, 0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_l2(self.conv_l1(x)) + self.conv_r2(self.conv_r1(x))
