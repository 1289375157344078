"""ASPPModule: the parallel atrous conv branches of ASPP, shared by the ASPP-based heads."""
from typing import List, Optional, Sequence

import torch
from torch import nn

from ..utils import resize
from .conv_module import ConvModule
from .depthwise_separable_conv_module import DepthwiseSeparableConvModule


class ASPPModule(nn.ModuleList):
    """One ``in_channels -> channels`` conv + norm + ReLU per rate in ``dilations``.

    Rate 1 is a 1x1 :class:`ConvModule`; any other rate a 3x3 conv with padding = rate,
    a :class:`ConvModule` (DeepLabV3) or, with ``separable=True``, a
    :class:`DepthwiseSeparableConvModule` (DeepLabV3+). The keys (``i.conv``, ``i.bn``,
    ``i.depthwise_conv``, ``i.pointwise_conv``) are MMSegmentation's ``aspp_modules``.
    ``forward`` returns the branch outputs as a list; :meth:`image_pool` builds the
    image-pooling branch that the heads put beside them.

    Args:
        in_channels: input channels.
        channels: output channels of every branch.
        dilations: rate of each branch.
        norm_cfg: norm config; None for no norm.
        separable: depthwise-separable 3x3 branches.
    """

    def __init__(self, in_channels: int, channels: int, dilations: Sequence[int],
                 norm_cfg: Optional[dict] = None, separable: bool = False):
        super().__init__()
        for rate in dilations:
            if rate == 1:
                self.append(ConvModule(in_channels, channels, 1, norm_cfg=norm_cfg))
            elif separable:
                self.append(DepthwiseSeparableConvModule(in_channels, channels, 3, padding=rate,
                                                         dilation=rate, norm_cfg=norm_cfg))
            else:
                self.append(ConvModule(in_channels, channels, 3, padding=rate, dilation=rate,
                                       norm_cfg=norm_cfg))

    @staticmethod
    def image_pool(in_channels: int, channels: int, norm_cfg: Optional[dict]) -> nn.Sequential:
        """The image-pooling branch: global average, 1x1 :class:`ConvModule` (keys
        ``1.conv``, ``1.bn``). It normalizes a 1x1 map: in training each device needs more
        than one image (or SyncBN across devices)."""
        return nn.Sequential(nn.AdaptiveAvgPool2d(1),
                             ConvModule(in_channels, channels, 1, norm_cfg=norm_cfg))

    @staticmethod
    def pooled(image_pool: nn.Module, x: torch.Tensor, align_corners: bool) -> torch.Tensor:
        """The image-pooling branch on ``x``, upsampled back to ``x``'s size."""
        return resize(image_pool(x), size=x.shape[2:], align_corners=align_corners)

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        return [branch(x) for branch in self]
