"""DepthwiseSeparableASPPHead: DeepLabV3+'s separable ASPP and low-level decoder."""
from typing import Dict, Sequence, Tuple

import torch
from torch import nn

from segkit.registry import MODELS
from segkit.utils.errors import ConfigError

from ..layers import ConvModule, DepthwiseSeparableConvModule
from ..utils import resize
from .aspp_head import ASPPHead


@MODELS.register_module()
class DepthwiseSeparableASPPHead(ASPPHead):
    """DeepLabV3+ head (Chen et al. ECCV 2018), with MMSegmentation's name and keys.

    The ASPP of :class:`ASPPHead` on the selected (deepest) input, with the 3x3 rate
    branches depthwise-separable, then the decoder: the ASPP output is upsampled to the
    first backbone output (``inputs[0]``, 1/4 of the input on ResNet), concatenated with
    that map reduced by a 1x1 conv to ``c1_channels`` (``c1_bottleneck``), and refined by
    two depthwise-separable 3x3 convs (``sep_bottleneck``) before dropout and the
    classifier. ``c1_in_channels=0`` leaves the decoder's low-level branch out.

    In a segmentor whose backbone reports its output channels, ``c1_in_channels`` left
    unset is the channels of its first output.

    Args:
        c1_in_channels: channels of ``inputs[0]``; 0 for no low-level branch.
        c1_channels: channels of the low-level projection (48 in the paper).
        **kwargs: the arguments of :class:`ASPPHead`.
    """

    separable = True
    feature_channel_args = {'c1_in_channels': 0}  # filled from backbone output 0 when unset

    def __init__(self, c1_in_channels: int, c1_channels: int = 48, **kwargs):
        super().__init__(**kwargs)
        if c1_in_channels < 0:
            raise ConfigError(f'DepthwiseSeparableASPPHead c1_in_channels {c1_in_channels}: '
                              'expected the channels of backbone output 0, or 0 for none')
        self.c1_bottleneck = ConvModule(c1_in_channels, c1_channels, 1, norm_cfg=self.norm_cfg) \
            if c1_in_channels > 0 else None
        low_level = c1_channels if c1_in_channels > 0 else 0
        self.sep_bottleneck = nn.Sequential(
            DepthwiseSeparableConvModule(self.channels + low_level, self.channels, 3, padding=1,
                                         norm_cfg=self.norm_cfg),
            DepthwiseSeparableConvModule(self.channels, self.channels, 3, padding=1,
                                         norm_cfg=self.norm_cfg))

    def forward(self, inputs: Tuple[torch.Tensor, ...], size: Sequence[int],
                extras: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """``seg`` logits at the size of ``inputs[0]`` (without a low-level branch: at
        the selected input's size)."""
        x = self.aspp(self._transform_inputs(inputs))
        if self.c1_bottleneck is not None:
            low = self.c1_bottleneck(inputs[0])
            x = resize(x, size=low.shape[2:], align_corners=self.align_corners)
            x = torch.cat([x, low], dim=1)
        return dict(seg=self.cls_seg(self.sep_bottleneck(x)))
