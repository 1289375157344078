"""GSCNNHead: Gated-SCNN's shape stream, edge-aware ASPP and decoder."""
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from segkit.registry import MODELS
from segkit.utils.errors import ConfigError, DataError

from ..layers import ASPPModule, BasicBlock, ConvModule, GatedSpatialConv
from ..utils import resize
from .decode_head import BaseDecodeHead


@MODELS.register_module()
class GSCNNHead(BaseDecodeHead):
    """Gated-SCNN (Takikawa et al. ICCV 2019) on ResNet features.

    Inputs: ``in_index`` (with ``input_transform='multiple_select'``) picks four backbone
    outputs, in this order:

    - a fine map (ResNetV1c stage 1, 1/4): the shape stream's input and the decoder's
      fine features. The official code starts the shape stream from the stem, which
      ResNetV1c does not output; stage 1 is the earliest map it does;
    - three deeper maps (stages 2, 3, 4; all 1/8 at output stride 8), each reduced to one
      channel to gate the shape stream; the last one also feeds the ASPP.

    It also reads the named input ``'edge'``: the Canny edges ``(N, 1, H, W)`` of the
    image at the input size, which :class:`GSCNNDataPreProcessor` makes beside ``'img'``.

    Shape stream, at the input size: 1x1 conv to ``shape_channels[0]``, upsampled; three
    times (residual block, 1x1 conv to the next width, :class:`GatedSpatialConv` gated by
    the next deeper map); 1x1 conv to one channel = the edge logits. Fusion:
    ``sigmoid(conv1x1(cat(sigmoid(edge_logits), canny)))``. ASPP on the last map:
    image pooling, an edge branch (fused map resized to the feature size, 1x1 conv), and
    one conv per rate in ``dilations`` (1x1 for rate 1), concatenated and reduced by a
    1x1 conv to ``channels``. Decoder: upsampled to the fine map, concatenated with its
    1x1 reduction to ``fine_channels``, two 3x3 convs, then dropout and the classifier.

    ``forward`` returns ``seg`` (logits at 1/4) and ``edge`` (edge logits at the input
    size). The losses: ``loss_decode`` (segmentation, as in every head), ``loss_edge``
    (the ``edge`` output against the samples' ``gt_edge_map``), ``loss_attention``
    (segmentation where the edge map fires) and ``loss_dual`` (boundary consistency of
    the segmentation); None turns one off. They are appended to ``loss_decode`` in this
    order, each reading the outputs and target its config names.

    Args:
        dilations: ASPP rates; (1, 12, 24, 36) at output stride 8, (1, 6, 12, 18) at 16.
        shape_channels: widths of the shape stream's four stages.
        fine_channels: channels of the decoder's fine features.
        loss_edge: config of a loss on ``edge`` (default :class:`BoundaryBCELoss`).
        loss_attention: config of a loss on ``seg`` and ``edge``
            (default :class:`EdgeAttentionLoss`).
        loss_dual: config of a loss on ``seg`` (default :class:`DualTaskLoss`).
        loss_decode: the segmentation loss config(s), as in :class:`BaseDecodeHead`.
        **kwargs: the arguments of :class:`BaseDecodeHead`; ``norm_cfg`` is required.
    """

    output_names = ('seg', 'edge')
    extra_inputs = {'edge': "Canny edges (N, 1, H, W), made by data_preprocessor "
                            "type='GSCNNDataPreProcessor'"}

    def __init__(self, dilations: Sequence[int] = (1, 12, 24, 36),
                 shape_channels: Sequence[int] = (64, 32, 16, 8), fine_channels: int = 48,
                 loss_edge: Optional[dict] = dict(type='BoundaryBCELoss', loss_weight=20.0),
                 loss_attention: Optional[dict] = dict(type='EdgeAttentionLoss',
                                                       loss_weight=1.0),
                 loss_dual: Optional[dict] = dict(type='DualTaskLoss', loss_weight=1.0),
                 loss_decode: Union[dict, Sequence[dict]] = dict(type='CrossEntropyLoss',
                                                                 loss_weight=1.0),
                 **kwargs):
        losses = list(loss_decode) if isinstance(loss_decode, (list, tuple)) else [loss_decode]
        losses += [cfg for cfg in (loss_edge, loss_attention, loss_dual) if cfg is not None]
        super().__init__(loss_decode=losses, **kwargs)
        if self.input_transform != 'multiple_select' or len(self.in_index) != 4 \
                or len(self.in_channels) != 4:
            raise ConfigError(f"GSCNNHead needs input_transform='multiple_select' and four "
                              f'in_index/in_channels (fine map, three gating maps), got '
                              f'{self.input_transform!r}, {self.in_index}, {self.in_channels}')
        if self.norm_cfg is None:
            raise ConfigError('GSCNNHead needs a norm_cfg (its gates and residual blocks '
                              "normalise), e.g. dict(type='BN')")
        if len(shape_channels) != 4:
            raise ConfigError(f'GSCNNHead shape_channels {shape_channels}: expected four widths')
        fine_in, *gate_in = self.in_channels
        norm = self.norm_cfg
        self.dilations = tuple(dilations)

        # Shape stream.
        self.shape_input = nn.Conv2d(fine_in, shape_channels[0], 1)
        self.gate_reductions = nn.ModuleList(nn.Conv2d(c, 1, 1) for c in gate_in)
        self.shape_blocks = nn.ModuleList(
            BasicBlock(c, c, norm_cfg=norm) for c in shape_channels[:-1])
        self.shape_reductions = nn.ModuleList(
            nn.Conv2d(c_in, c_out, 1) for c_in, c_out in zip(shape_channels, shape_channels[1:]))
        self.gates = nn.ModuleList(
            GatedSpatialConv(c, c, norm_cfg=norm) for c in shape_channels[1:])
        self.edge_out = nn.Conv2d(shape_channels[-1], 1, 1, bias=False)
        self.fuse_gradient = nn.Conv2d(2, 1, 1, bias=False)

        # Regular stream: ASPP with the edge branch, then the decoder.
        aspp_in = gate_in[-1]
        self.image_pool = ASPPModule.image_pool(aspp_in, self.channels, norm)
        self.edge_branch = ConvModule(1, self.channels, 1, norm_cfg=norm)
        self.aspp_modules = ASPPModule(aspp_in, self.channels, self.dilations, norm_cfg=norm)
        self.bottleneck = ConvModule((len(self.dilations) + 2) * self.channels, self.channels, 1,
                                     norm_cfg=norm)
        self.fine_project = ConvModule(fine_in, fine_channels, 1, norm_cfg=norm)
        self.decoder = nn.Sequential(
            ConvModule(self.channels + fine_channels, self.channels, 3, padding=1, norm_cfg=norm),
            ConvModule(self.channels, self.channels, 3, padding=1, norm_cfg=norm))

    def shape_stream(self, fine: torch.Tensor, gating: Sequence[torch.Tensor],
                     size: Sequence[int]) -> torch.Tensor:
        """Edge logits ``(N, 1, *size)`` from the fine map, gated by the deeper maps."""
        x = resize(self.shape_input(fine), size, align_corners=self.align_corners)
        for block, reduce, gate, feat, gate_reduce in zip(
                self.shape_blocks, self.shape_reductions, self.gates, gating,
                self.gate_reductions):
            g = resize(gate_reduce(feat), size, align_corners=self.align_corners)
            x = gate(reduce(block(x)), g)
        return self.edge_out(x)

    def forward(self, inputs: Tuple[torch.Tensor, ...], size: Sequence[int],
                extras: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """``seg`` logits ``(N, C, h/4, w/4)`` and ``edge`` logits ``(N, 1, h, w)`` for inputs
        of size h x w."""
        fine, *gating = self._transform_inputs(inputs)
        canny = extras['edge']
        if canny.dim() != 4 or canny.shape[1] != 1:
            raise DataError(f"GSCNNHead input 'edge' must be Canny edges (N, 1, H, W), got "
                            f'{tuple(canny.shape)}')
        edge_logits = self.shape_stream(fine, gating, canny.shape[2:])
        fused = torch.sigmoid(self.fuse_gradient(
            torch.cat([torch.sigmoid(edge_logits), canny], dim=1)))

        x = gating[-1]
        feat_size = x.shape[2:]
        branches = [ASPPModule.pooled(self.image_pool, x, self.align_corners),
                    self.edge_branch(resize(fused, feat_size,
                                            align_corners=self.align_corners))]
        branches += self.aspp_modules(x)
        x = resize(self.bottleneck(torch.cat(branches, dim=1)), fine.shape[2:],
                   align_corners=self.align_corners)
        x = self.decoder(torch.cat([self.fine_project(fine), x], dim=1))
        return dict(seg=self.cls_seg(x), edge=edge_logits)
