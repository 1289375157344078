"""GSCNNHead: Gated-SCNN's shape stream, edge-aware ASPP and decoder."""
from typing import List, Optional, Sequence, Tuple

import torch
from torch import nn

from segkit.registry import MODELS
from segkit.structures import SegDataSample
from segkit.utils.errors import ConfigError

from ..backbones.resnet_blocks import BasicBlock
from ..layers import ConvModule, GatedSpatialConv
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

    The image gradient ``(N, 1, H, W)`` at the input size is always the LAST element of
    the head's inputs (:class:`GSCNNEncoderDecoder` appends it after the backbone's).

    Shape stream, at the input size: 1x1 conv to ``shape_channels[0]``, upsampled; three
    times (residual block, 1x1 conv to the next width, :class:`GatedSpatialConv` gated by
    the next deeper map); 1x1 conv to one channel = the edge logits. Fusion:
    ``sigmoid(conv1x1(cat(sigmoid(edge_logits), gradient)))``. ASPP on the last map:
    image pooling, an edge branch (fused map resized to the feature size, 1x1 conv), and
    one conv per rate in ``dilations`` (1x1 for rate 1), concatenated and reduced by a
    1x1 conv to ``channels``. Decoder: upsampled to the fine map, concatenated with its
    1x1 reduction to ``fine_channels``, two 3x3 convs, then dropout and the classifier.

    ``forward`` returns ``(seg_logits at 1/4, edge_logits at the input size)``. The losses:
    ``loss_decode`` (segmentation, as in every head), ``loss_edge`` (edge logits against
    the sample's ``gt_edge_map``), ``loss_attention`` (segmentation where the edge map
    fires) and ``loss_dual`` (boundary consistency of the segmentation); None turns one off.

    Args:
        dilations: ASPP rates; (1, 12, 24, 36) at output stride 8, (1, 6, 12, 18) at 16.
        shape_channels: widths of the shape stream's four stages.
        fine_channels: channels of the decoder's fine features.
        loss_edge: config of a loss ``(edge_logits, edge_label)``.
        loss_attention: config of a loss ``(seg_logits, seg_label, edge_logits)``.
        loss_dual: config of a loss ``(seg_logits, seg_label)``.
        **kwargs: the arguments of :class:`BaseDecodeHead`; ``norm_cfg`` is required.
    """

    def __init__(self, dilations: Sequence[int] = (1, 12, 24, 36),
                 shape_channels: Sequence[int] = (64, 32, 16, 8), fine_channels: int = 48,
                 loss_edge: Optional[dict] = dict(type='BoundaryBCELoss', loss_weight=20.0),
                 loss_attention: Optional[dict] = dict(type='EdgeAttentionLoss',
                                                       loss_weight=1.0),
                 loss_dual: Optional[dict] = dict(type='DualTaskLoss', loss_weight=1.0),
                 **kwargs):
        super().__init__(**kwargs)
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
        self.image_pool = nn.Sequential(nn.AdaptiveAvgPool2d(1),
                                        ConvModule(aspp_in, self.channels, 1, norm_cfg=norm))
        self.edge_branch = ConvModule(1, self.channels, 1, norm_cfg=norm)
        self.aspp_modules = nn.ModuleList(
            ConvModule(aspp_in, self.channels, 1 if rate == 1 else 3,
                       padding=0 if rate == 1 else rate, dilation=rate, norm_cfg=norm)
            for rate in self.dilations)
        self.bottleneck = ConvModule((len(self.dilations) + 2) * self.channels, self.channels, 1,
                                     norm_cfg=norm)
        self.fine_project = ConvModule(fine_in, fine_channels, 1, norm_cfg=norm)
        self.decoder = nn.Sequential(
            ConvModule(self.channels + fine_channels, self.channels, 3, padding=1, norm_cfg=norm),
            ConvModule(self.channels, self.channels, 3, padding=1, norm_cfg=norm))

        self.loss_edge = self._build_loss(loss_edge)
        self.loss_attention = self._build_loss(loss_attention)
        self.loss_dual = self._build_loss(loss_dual)

    def _build_loss(self, cfg: Optional[dict]) -> Optional[nn.Module]:
        if cfg is None:
            return None
        loss = MODELS.build(cfg)
        if getattr(loss, 'ignore_index', self.ignore_index) != self.ignore_index:
            raise ConfigError(f'{type(loss).__name__} ignore_index {loss.ignore_index} differs '
                              f"from the head's ignore_index {self.ignore_index}")
        return loss

    def _split_inputs(self, inputs) -> Tuple[List[torch.Tensor], torch.Tensor]:
        gradient = inputs[-1]
        if gradient.dim() != 4 or gradient.shape[1] != 1:
            raise ConfigError(f'GSCNNHead expects the image gradient (N, 1, H, W) as its last '
                              f'input, got {tuple(gradient.shape)}: use '
                              "model type='GSCNNEncoderDecoder'")
        return self._transform_inputs(inputs[:-1]), gradient

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

    def forward(self, inputs) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(seg_logits (N, C, h/4, w/4), edge_logits (N, 1, h, w))`` for inputs of size h x w."""
        (fine, *gating), gradient = self._split_inputs(inputs)
        edge_logits = self.shape_stream(fine, gating, gradient.shape[2:])
        fused = torch.sigmoid(self.fuse_gradient(
            torch.cat([torch.sigmoid(edge_logits), gradient], dim=1)))

        x = gating[-1]
        size = x.shape[2:]
        branches = [resize(self.image_pool(x), size, align_corners=self.align_corners),
                    self.edge_branch(resize(fused, size, align_corners=self.align_corners))]
        branches += [aspp(x) for aspp in self.aspp_modules]
        x = resize(self.bottleneck(torch.cat(branches, dim=1)), fine.shape[2:],
                   align_corners=self.align_corners)
        x = self.decoder(torch.cat([self.fine_project(fine), x], dim=1))
        return self.cls_seg(x), edge_logits

    def predict(self, inputs, size: Tuple[int, int]) -> torch.Tensor:
        """Segmentation logits resized to ``size``."""
        return self.predict_with_edge(inputs, size)[0]

    def predict_with_edge(self, inputs, size: Tuple[int, int]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Segmentation logits and edge probability ``(N, 1, H, W)``, resized to ``size``."""
        seg_logits, edge_logits = self.forward(inputs)
        return (resize(seg_logits, size, align_corners=self.align_corners),
                torch.sigmoid(resize(edge_logits, size, align_corners=self.align_corners)))

    def loss_by_feat(self, outputs: Tuple[torch.Tensor, torch.Tensor],
                     batch_data_samples: List[SegDataSample]) -> dict:
        """The base losses on the segmentation, plus the edge, attention and dual losses."""
        seg_label = self.stack_labels(batch_data_samples)
        seg_logits, edge_logits = (resize(x, seg_label.shape[1:], align_corners=self.align_corners)
                                   for x in outputs)
        losses = super().loss_by_feat(seg_logits, batch_data_samples)
        if self.loss_edge is not None:
            edge_label = self.stack_edge_labels(batch_data_samples)
            self._add_loss(losses, self.loss_edge, edge_logits, edge_label)
        if self.loss_attention is not None:
            self._add_loss(losses, self.loss_attention, seg_logits, seg_label, edge_logits)
        if self.loss_dual is not None:
            self._add_loss(losses, self.loss_dual, seg_logits, seg_label)
        return losses

    @staticmethod
    def _add_loss(losses: dict, loss_fn: nn.Module, *args: torch.Tensor) -> None:
        losses[loss_fn.loss_name] = losses.get(loss_fn.loss_name, 0) + loss_fn(*args)

    @staticmethod
    def stack_edge_labels(batch_data_samples: List[SegDataSample]) -> torch.Tensor:
        """Edge labels ``(N, H, W)`` long from each sample's ``gt_edge_map``."""
        if not all('gt_edge_map' in s for s in batch_data_samples):
            raise ConfigError("GSCNNHead's loss_edge needs each sample's gt_edge_map: put "
                              "dict(type='GenerateEdge') in the train pipeline after crop and "
                              'flip, before PackSegInputs')
        return torch.stack([s.gt_edge_map.data for s in batch_data_samples]).squeeze(1).long()
