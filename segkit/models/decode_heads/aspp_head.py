"""ASPPHead: DeepLabV3's atrous spatial pyramid pooling head."""
from typing import Dict, Sequence

import torch

from segkit.registry import MODELS

from ..layers import ASPPModule, ConvModule
from .decode_head import BaseDecodeHead


@MODELS.register_module()
class ASPPHead(BaseDecodeHead):
    """DeepLabV3 head (Chen et al. 2017), as MMSegmentation builds it.

    Branches, each ``in_channels -> channels`` conv + norm + ReLU: image pooling (global
    average, 1x1 conv, upsampled back), then one conv per rate in ``dilations`` (1x1 for
    rate 1, 3x3 with padding = rate otherwise; :class:`ASPPModule`). The concatenation
    goes through a 3x3 ``bottleneck`` conv, dropout and the classifier. Rates: (1, 12, 24,
    36) at output stride 8, (1, 6, 12, 18) at 16.

    The image-pooling branch normalizes a 1x1 map: in training each device needs more
    than one image (or SyncBN across devices).

    Args:
        dilations: rate of each conv branch.
        **kwargs: the arguments of :class:`BaseDecodeHead`.
    """

    separable = False  # depthwise-separable 3x3 branches (DeepLabV3+)

    def __init__(self, dilations: Sequence[int] = (1, 6, 12, 18), **kwargs):
        super().__init__(**kwargs)
        self.dilations = tuple(dilations)
        self.image_pool = ASPPModule.image_pool(self.in_channels, self.channels, self.norm_cfg)
        self.aspp_modules = ASPPModule(self.in_channels, self.channels, self.dilations,
                                       norm_cfg=self.norm_cfg, separable=self.separable)
        self.bottleneck = ConvModule((len(self.dilations) + 1) * self.channels, self.channels, 3,
                                     padding=1, norm_cfg=self.norm_cfg)

    def aspp(self, x: torch.Tensor) -> torch.Tensor:
        """Image pooling and the rate branches on ``x``, concatenated, through the
        bottleneck."""
        branches = [ASPPModule.pooled(self.image_pool, x, self.align_corners)]
        return self.bottleneck(torch.cat(branches + self.aspp_modules(x), dim=1))

    def forward(self, inputs, size, extras) -> Dict[str, torch.Tensor]:
        return dict(seg=self.cls_seg(self.aspp(self._transform_inputs(inputs))))
