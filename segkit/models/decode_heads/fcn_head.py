"""FCNHead: convs then a classifier; the usual auxiliary head."""
from typing import Dict

import torch
from torch import nn

from segkit.registry import MODELS

from ..layers import ConvModule
from .decode_head import BaseDecodeHead


@MODELS.register_module()
class FCNHead(BaseDecodeHead):
    """Fully convolutional head (Long et al. 2015), as MMSegmentation's FCNHead.

    Args:
        num_convs: number of 3x3 (``kernel_size``) convs; 0 passes the input through.
        kernel_size: kernel size of the convs.
        concat_input: concatenate the input with the conv output before the classifier.
        dilation: dilation of the convs.
        **kwargs: the arguments of :class:`BaseDecodeHead`.
    """

    def __init__(self, num_convs: int = 2, kernel_size: int = 3, concat_input: bool = True,
                 dilation: int = 1, **kwargs):
        super().__init__(**kwargs)
        if num_convs == 0 and self.in_channels != self.channels:
            raise ValueError(f'FCNHead with num_convs=0 needs in_channels == channels, got '
                             f'{self.in_channels} and {self.channels}')
        padding = (kernel_size // 2) * dilation
        convs = [ConvModule(self.in_channels if i == 0 else self.channels, self.channels,
                            kernel_size, padding=padding, dilation=dilation,
                            norm_cfg=self.norm_cfg) for i in range(num_convs)]
        self.convs = nn.Sequential(*convs) if convs else nn.Identity()
        self.concat_input = False
        if concat_input:
            self._build_conv_cat(kernel_size)

    def _build_conv_cat(self, kernel_size: int) -> None:
        """Concatenate the input with the conv output, through ``conv_cat``."""
        self.concat_input = True
        self.conv_cat = ConvModule(self.in_channels + self.channels, self.channels, kernel_size,
                                   padding=kernel_size // 2, norm_cfg=self.norm_cfg)

    def _conv_features(self, x: torch.Tensor) -> torch.Tensor:
        """The features of the convs (what a subclass puts between them goes here)."""
        return self.convs(x)

    def forward(self, inputs, size, extras) -> Dict[str, torch.Tensor]:
        x = self._transform_inputs(inputs)
        feat = self._conv_features(x)
        if self.concat_input:
            feat = self.conv_cat(torch.cat([x, feat], dim=1))
        return dict(seg=self.cls_seg(feat))
