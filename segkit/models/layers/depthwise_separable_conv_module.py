"""Depthwise-separable conv with MMCV's parameter names (``depthwise_conv``, ``pointwise_conv``)."""
from typing import Optional

import torch
from torch import nn

from .conv_module import ConvModule


class DepthwiseSeparableConvModule(nn.Module):
    """A depthwise ``ConvModule`` (one filter per channel) then a pointwise 1x1 one.

    Both have the norm and the ReLU, as MMCV's ``DepthwiseSeparableConvModule`` with its
    defaults, so MMSegmentation's DeepLabV3+ weights load as they are.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: kernel size of the depthwise conv.
        padding: padding of the depthwise conv.
        dilation: dilation of the depthwise conv.
        norm_cfg: norm config of both convs; None for no norm.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, padding: int = 0,
                 dilation: int = 1, norm_cfg: Optional[dict] = None):
        super().__init__()
        self.depthwise_conv = ConvModule(in_channels, in_channels, kernel_size, padding=padding,
                                         dilation=dilation, groups=in_channels,
                                         norm_cfg=norm_cfg)
        self.pointwise_conv = ConvModule(in_channels, out_channels, 1, norm_cfg=norm_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise_conv(self.depthwise_conv(x))
