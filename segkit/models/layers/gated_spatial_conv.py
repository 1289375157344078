"""GatedSpatialConv: Gated-SCNN's gated convolution (shape stream gated by a backbone stage)."""
import torch
from torch import nn

from .norm import build_norm_layer


class GatedSpatialConv(nn.Conv2d):
    """Gated convolution layer of Gated-SCNN (Takikawa et al. 2019).

    For shape-stream features ``s`` (C channels) and a one-channel gate input ``g`` (a
    backbone stage reduced to one channel, at the same resolution)::

        a   = sigmoid(norm(conv1x1_{C+1->1}(ReLU(conv1x1_{C+1->C+1}(norm(cat(s, g)))))))
        out = conv(s * (a + 1))

    ``conv`` is a 1x1 convolution with this layer's own weight (and bias); the attention
    ``a`` only rescales its input, so a closed gate leaves ``s`` as it is rather than
    zeroing it.

    Args:
        in_channels: channels C of the shape-stream features.
        out_channels: output channels.
        norm_cfg: norm config of the two gate norms.
        bias: whether the output conv has a bias (the official code has none).
    """

    def __init__(self, in_channels: int, out_channels: int, norm_cfg: dict = dict(type='BN'),
                 bias: bool = False):
        super().__init__(in_channels, out_channels, kernel_size=1, bias=bias)
        self.gate_conv = nn.Sequential(
            build_norm_layer(norm_cfg, in_channels + 1),
            nn.Conv2d(in_channels + 1, in_channels + 1, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(in_channels + 1, 1, 1),
            build_norm_layer(norm_cfg, 1),
            nn.Sigmoid())

    def gate(self, features: torch.Tensor, gating: torch.Tensor) -> torch.Tensor:
        """Attention map ``a`` ``(N, 1, H, W)`` in (0, 1)."""
        return self.gate_conv(torch.cat([features, gating], dim=1))

    def forward(self, features: torch.Tensor, gating: torch.Tensor) -> torch.Tensor:
        """Gate ``features`` ``(N, C, H, W)`` with ``gating`` ``(N, 1, H, W)`` and convolve."""
        return super().forward(features * (self.gate(features, gating) + 1))
