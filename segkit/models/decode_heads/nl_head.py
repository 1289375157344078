"""NLHead: an FCN head with a non-local block between its two convs."""
from typing import Dict

import torch
from torch import nn

from segkit.registry import MODELS

from ..layers import ConvModule, NonLocal2d
from .decode_head import BaseDecodeHead


@MODELS.register_module()
class NLHead(BaseDecodeHead):
    """Non-local head (Wang et al. 2018), as MMSegmentation builds it.

    ``convs.0`` (``in_channels -> channels``) -> ``nl_block`` (:class:`NonLocal2d` on
    ``channels``) -> ``convs.1`` -> concatenation with the input -> ``conv_cat`` ->
    dropout -> classifier. Parameter names are MMSegmentation's, so its checkpoints load.

    The block's attention matrix is (h*w)^2 per image for an ``h x w`` feature map: 8192^2
    (256 MiB in fp32) on a 512x1024 crop at output stride 8, 32768^2 (4 GiB) on a whole
    1024x2048 Cityscapes image; ``sub_sample`` divides it by 4.

    Args:
        reduction: channel reduction inside the non-local block.
        use_scale: scale the embedded-gaussian scores by 1/sqrt(channels).
        mode: non-local mode: 'embedded_gaussian', 'dot_product', 'gaussian' or
            'concatenation'.
        sub_sample: 2x2 max-pool the block's keys and values.
        kernel_size: kernel size of ``convs`` and ``conv_cat``.
        concat_input: concatenate the input before the classifier (``conv_cat``).
        dilation: dilation of ``convs``.
        **kwargs: the arguments of :class:`BaseDecodeHead`.
    """

    def __init__(self, reduction: int = 2, use_scale: bool = True,
                 mode: str = 'embedded_gaussian', sub_sample: bool = False,
                 kernel_size: int = 3, concat_input: bool = True, dilation: int = 1, **kwargs):
        super().__init__(**kwargs)
        padding = (kernel_size // 2) * dilation
        self.convs = nn.Sequential(
            ConvModule(self.in_channels, self.channels, kernel_size, padding=padding,
                       dilation=dilation, norm_cfg=self.norm_cfg),
            ConvModule(self.channels, self.channels, kernel_size, padding=padding,
                       dilation=dilation, norm_cfg=self.norm_cfg))
        self.nl_block = NonLocal2d(self.channels, reduction=reduction, use_scale=use_scale,
                                   mode=mode, sub_sample=sub_sample, norm_cfg=self.norm_cfg)
        self.concat_input = concat_input
        if concat_input:
            self.conv_cat = ConvModule(self.in_channels + self.channels, self.channels,
                                       kernel_size, padding=kernel_size // 2,
                                       norm_cfg=self.norm_cfg)

    def forward(self, inputs, size, extras) -> Dict[str, torch.Tensor]:
        x = self._transform_inputs(inputs)
        feat = self.convs[1](self.nl_block(self.convs[0](x)))
        if self.concat_input:
            feat = self.conv_cat(torch.cat([x, feat], dim=1))
        return dict(seg=self.cls_seg(feat))
