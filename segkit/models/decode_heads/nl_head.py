"""NLHead: an FCN head with a non-local block between its two convs."""
import torch

from segkit.registry import MODELS

from ..layers import NonLocal2d
from .fcn_head import FCNHead


@MODELS.register_module()
class NLHead(FCNHead):
    """Non-local head (Wang et al. 2018), as MMSegmentation builds it.

    ``convs.0`` (``in_channels -> channels``) -> ``nl_block`` (:class:`NonLocal2d` on
    ``channels``) -> ``convs.1`` -> concatenation with the input -> ``conv_cat`` ->
    dropout -> classifier: an :class:`FCNHead` with two convs and the block between them,
    as MMSegmentation subclasses it. Parameter names are MMSegmentation's, so its
    checkpoints load.

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
        super().__init__(num_convs=2, kernel_size=kernel_size, concat_input=False,
                         dilation=dilation, **kwargs)
        self.nl_block = NonLocal2d(self.channels, reduction=reduction, use_scale=use_scale,
                                   mode=mode, sub_sample=sub_sample, norm_cfg=self.norm_cfg)
        if concat_input:  # built after the block: a seeded model initialises as before
            self._build_conv_cat(kernel_size)

    def _conv_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.convs[1](self.nl_block(self.convs[0](x)))
