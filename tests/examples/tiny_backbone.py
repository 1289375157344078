"""A new backbone in a few lines: strided conv stages returning their outputs
(docs/extending.md)."""
from typing import Optional, Sequence

from mmengine.model import BaseModule
from torch import nn

from segkit.models.layers import ConvModule
from segkit.registry import MODELS


@MODELS.register_module()
class TinyBackbone(BaseModule):
    """Stride-2 3x3 conv stages of ``channels``; returns every stage's output (1/2, 1/4, ...)."""

    def __init__(self, channels: Sequence[int] = (16, 32, 64), norm_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        widths = (3, *channels)
        self.stages = nn.ModuleList(
            ConvModule(cin, cout, 3, stride=2, padding=1, norm_cfg=norm_cfg)
            for cin, cout in zip(widths[:-1], widths[1:]))

    def forward(self, x):
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return tuple(outs)
