"""Conv + norm + ReLU, with MMCV ConvModule's parameter names (``conv``, ``bn``)."""
from typing import Optional

import torch
from torch import nn

from .norm import build_norm_layer


class ConvModule(nn.Module):
    """``conv -> bn -> ReLU``; by default the conv has a bias only when there is no norm.

    The conv starts from Kaiming-normal weights (fan-out, ReLU), as MMCV's ConvModule.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: conv kernel size.
        stride: conv stride.
        padding: conv padding.
        dilation: conv dilation.
        groups: conv groups (``in_channels`` for a depthwise conv).
        norm_cfg: norm layer config (``dict(type='BN')``); None for no norm.
        with_relu: apply ReLU at the end.
        bias: whether the conv has a bias; None: only when there is no norm.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, dilation: int = 1, groups: int = 1,
                 norm_cfg: Optional[dict] = None, with_relu: bool = True,
                 bias: Optional[bool] = None):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride,
                              padding=padding, dilation=dilation, groups=groups,
                              bias=norm_cfg is None if bias is None else bias)
        self.bn = build_norm_layer(norm_cfg, out_channels) if norm_cfg is not None else None
        self.activate = nn.ReLU(inplace=True) if with_relu else None
        nn.init.kaiming_normal_(self.conv.weight, mode='fan_out', nonlinearity='relu')
        if self.conv.bias is not None:
            nn.init.zeros_(self.conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.activate is not None:
            x = self.activate(x)
        return x
