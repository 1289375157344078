"""A new decode head in a few lines: one conv, then the shared classifier (docs/extending.md)."""
from segkit.models.decode_heads.decode_head import BaseDecodeHead
from segkit.models.layers import ConvModule
from segkit.registry import MODELS


@MODELS.register_module()
class TinyHead(BaseDecodeHead):
    """A 3x3 conv on the selected backbone output, then dropout and the classifier."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv = ConvModule(self.in_channels, self.channels, 3, padding=1,
                               norm_cfg=self.norm_cfg)

    def forward(self, inputs, size, extras):
        return dict(seg=self.cls_seg(self.conv(self._transform_inputs(inputs))))
