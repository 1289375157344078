"""ASPPHead: DeepLabV3's atrous spatial pyramid pooling head."""
from typing import Dict, Sequence

import torch
from torch import nn

from segkit.registry import MODELS

from ..layers import ConvModule
from ..utils import resize
from .decode_head import BaseDecodeHead


@MODELS.register_module()
class ASPPHead(BaseDecodeHead):
    """DeepLabV3 head (Chen et al. 2017), as MMSegmentation builds it.

    Branches, each ``in_channels -> channels`` conv + norm + ReLU: image pooling (global
    average, 1x1 conv, upsampled back), then one conv per rate in ``dilations`` (1x1 for
    rate 1, 3x3 with padding = rate otherwise). The concatenation goes through a 3x3
    ``bottleneck`` conv, dropout and the classifier. Rates: (1, 12, 24, 36) at output
    stride 8, (1, 6, 12, 18) at 16.

    The image-pooling branch normalizes a 1x1 map: in training each device needs more
    than one image (or SyncBN across devices).

    Args:
        dilations: rate of each conv branch.
        **kwargs: the arguments of :class:`BaseDecodeHead`.
    """

    def __init__(self, dilations: Sequence[int] = (1, 6, 12, 18), **kwargs):
        super().__init__(**kwargs)
        self.dilations = tuple(dilations)
        self.image_pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            ConvModule(self.in_channels, self.channels, 1, norm_cfg=self.norm_cfg))
        self.aspp_modules = nn.ModuleList(
            ConvModule(self.in_channels, self.channels, 1 if rate == 1 else 3,
                       padding=0 if rate == 1 else rate, dilation=rate, norm_cfg=self.norm_cfg)
            for rate in self.dilations)
        self.bottleneck = ConvModule((len(self.dilations) + 1) * self.channels, self.channels, 3,
                                     padding=1, norm_cfg=self.norm_cfg)

    def forward(self, inputs, size, extras) -> Dict[str, torch.Tensor]:
        x = self._transform_inputs(inputs)
        pooled = resize(self.image_pool(x), size=x.shape[2:], align_corners=self.align_corners)
        branches = [pooled] + [aspp(x) for aspp in self.aspp_modules]
        return dict(seg=self.cls_seg(self.bottleneck(torch.cat(branches, dim=1))))
