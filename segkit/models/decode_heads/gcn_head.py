"""GCNHead: Global Convolutional Network with boundary refinement ("Large Kernel Matters")."""
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from segkit.registry import MODELS
from segkit.utils.errors import ConfigError

from ..layers import BoundaryRefine, GlobalConvBlock
from ..utils import resize
from .decode_head import BaseDecodeHead

UPSAMPLE_MODES = ('bilinear', 'deconv')


@MODELS.register_module()
class GCNHead(BaseDecodeHead):
    """GCN head (Peng et al. 2017): class scores from every stage, refined top-down.

    Each selected stage (C2..C5 at 1/4..1/32) goes through a :class:`GlobalConvBlock`
    to ``num_classes`` score maps and a :class:`BoundaryRefine` (BR). From the coarsest
    map down, the running map is upsampled to the next stage's size, added to its
    scores and refined by a BR. The 1/4 map is then upsampled to 1/2 (BR) and to the
    input size (BR): with four stages, 4 GCN and 9 BR blocks. The scores come out at
    the full input size, without dropout or a classifier (``has_classifier = False``).

    The output size is the ``size`` that ``forward`` gets from the segmentor: the network
    input (also each slide window) at inference, the label size in training (labels are
    padded with the images, so it is the batch input size). The 1/2 map is made at
    ``ceil(size / 2)``, which is how the backbones' stride-2 layers (kernel k, padding
    k // 2) halve a size, so an odd input gives exactly its own size back.

    Upsampling: ``'bilinear'`` (common re-implementations; no parameters) or ``'deconv'``
    (the paper: learnable). A deconv is ``ConvTranspose2d(kernel 3, stride 2, padding 1)``,
    the transpose of the backbones' stride-2 3x3 convs, initialised to linear
    interpolation; it makes a map of size ``2h - 1`` or ``2h`` from ``h``, so each
    coarser map must be the ceil-half of the next (true for ResNetV1c and
    TorchvisionResNet at any input size).

    Args:
        in_channels: channels of each selected stage, finest first.
        num_classes: number of classes (the channels of every score map).
        kernel_size: GCN kernel size k (odd); the paper uses 15.
        upsample: 'bilinear' or 'deconv'.
        in_index: backbone outputs to use, finest first.
        input_transform: must be 'multiple_select'.
        align_corners: ``align_corners`` of every bilinear resize.
        loss_decode: a loss config or a list of them.
        ignore_index: label value that no loss or metric counts.
        sampler: optional pixel sampler config.
        init_cfg: mmengine init config.
    """

    has_classifier = False

    def __init__(self, in_channels: Sequence[int], num_classes: int, kernel_size: int = 15,
                 upsample: str = 'bilinear', in_index: Sequence[int] = (0, 1, 2, 3),
                 input_transform: str = 'multiple_select', align_corners: bool = False,
                 loss_decode: Union[dict, Sequence[dict]] = dict(type='CrossEntropyLoss',
                                                                 loss_weight=1.0),
                 ignore_index: int = 255, sampler: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if input_transform != 'multiple_select':
            raise ConfigError(f"GCNHead input_transform {input_transform!r}: expected "
                              "'multiple_select' (the head fuses every selected stage)")
        if isinstance(in_channels, int) or len(in_channels) != len(in_index):
            raise ConfigError(f'GCNHead in_channels {in_channels!r} needs one entry per '
                              f'in_index {tuple(in_index)!r}')
        if upsample not in UPSAMPLE_MODES:
            raise ConfigError(f'GCNHead upsample {upsample!r}: expected one of {UPSAMPLE_MODES}')
        super().__init__(in_channels=in_channels, channels=num_classes, num_classes=num_classes,
                         in_index=in_index, input_transform=input_transform, dropout_ratio=0,
                         align_corners=align_corners, loss_decode=loss_decode,
                         ignore_index=ignore_index, sampler=sampler, init_cfg=init_cfg)
        self.upsample = upsample
        num_stages = len(in_channels)
        self.gcns = nn.ModuleList(GlobalConvBlock(c, num_classes, kernel_size)
                                  for c in in_channels)
        self.stage_refines = nn.ModuleList(BoundaryRefine(num_classes) for _ in in_channels)
        self.fuse_refines = nn.ModuleList(BoundaryRefine(num_classes)
                                          for _ in range(num_stages - 1))
        self.final_refines = nn.ModuleList(BoundaryRefine(num_classes) for _ in range(2))
        # One upsampling per fusion, then to 1/2 and to full size.
        self.deconvs = nn.ModuleList(
            bilinear_deconv(num_classes) for _ in range(num_stages + 1)) \
            if upsample == 'deconv' else None

    def _upsample(self, x: torch.Tensor, index: int, size: Sequence[int]) -> torch.Tensor:
        if self.deconvs is None:
            return resize(x, size=size, align_corners=self.align_corners)
        return self.deconvs[index](x, output_size=list(size))

    def forward(self, inputs: Tuple[torch.Tensor, ...], size: Sequence[int],
                extras: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Scores ``(N, num_classes, *size)``, built at ``size``."""
        feats = self._transform_inputs(inputs)
        scores = [refine(gcn(x)) for x, gcn, refine in
                  zip(feats, self.gcns, self.stage_refines)]
        out = scores[-1]
        for i in range(len(scores) - 2, -1, -1):
            up = self._upsample(out, i, scores[i].shape[2:])
            out = self.fuse_refines[i](scores[i] + up)
        half = [(s + 1) // 2 for s in size]
        out = self.final_refines[0](self._upsample(out, len(scores) - 1, half))
        return dict(seg=self.final_refines[1](self._upsample(out, len(scores), size)))


def bilinear_deconv(channels: int) -> nn.ConvTranspose2d:
    """A 2x ``ConvTranspose2d`` (kernel 3, stride 2, padding 1) that starts as linear
    interpolation of each channel on its own: coarse pixel i lands on fine pixel 2i."""
    deconv = nn.ConvTranspose2d(channels, channels, kernel_size=3, stride=2, padding=1)
    taps = torch.tensor([0.5, 1.0, 0.5])
    with torch.no_grad():
        deconv.weight.zero_()
        for c in range(channels):
            deconv.weight[c, c] = taps[:, None] * taps[None, :]
        deconv.bias.zero_()
    return deconv
