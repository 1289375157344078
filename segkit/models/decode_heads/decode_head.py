"""BaseDecodeHead: the shared work of every decode head.

A head writes ``__init__`` and ``forward(inputs) -> logits``; the base does the rest::

    loss(inputs, data_samples)    = loss_by_feat(forward(inputs), data_samples)
    predict(inputs, img_metas)    = resize(forward(inputs), input size)

``loss_by_feat`` stacks the ground truth, resizes the logits to the label size, asks the
optional pixel ``sampler`` for per-pixel weights and sums every loss in ``loss_decode``,
each logged under its own ``loss_name``.
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from segkit.registry import MODELS, TASK_UTILS
from segkit.structures import SegDataSample
from segkit.utils.errors import ConfigError

from ..utils import class_argmax, resize


class BaseDecodeHead(BaseModule):
    """Base of the decode heads.

    Args:
        in_channels: channels of the selected input(s); a sequence with
            ``input_transform='resize_concat'`` or ``'multiple_select'``.
        channels: channels before the classifier.
        num_classes: number of classes.
        in_index: which backbone output(s) to take.
        input_transform: None (one input), 'resize_concat' (resize to the first and
            concatenate) or 'multiple_select' (a list passed on to ``forward``).
        dropout_ratio: Dropout2d before the classifier.
        norm_cfg: norm config for the head's convs.
        align_corners: ``align_corners`` of every resize.
        loss_decode: a loss config or a list of them; their values are summed.
        ignore_index: label value that no loss or metric counts.
        sampler: optional pixel sampler config (e.g. OHEM) giving per-pixel weights.
        init_cfg: mmengine init config; None gives the classifier N(0, 0.01).

    Heads that predict class scores without the shared classifier set the class
    attribute ``has_classifier = False``; the base then builds no dropout or ``conv_seg``
    (an unused parameter would break DDP).
    """

    has_classifier = True

    def __init__(self, in_channels: Union[int, Sequence[int]], channels: int, num_classes: int,
                 in_index: Union[int, Sequence[int]] = -1, input_transform: Optional[str] = None,
                 dropout_ratio: float = 0.1, norm_cfg: Optional[dict] = None,
                 align_corners: bool = False,
                 loss_decode: Union[dict, Sequence[dict]] = dict(type='CrossEntropyLoss',
                                                                 loss_weight=1.0),
                 ignore_index: int = 255, sampler: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if init_cfg is None and self.has_classifier:
            init_cfg = dict(type='Normal', std=0.01, override=dict(name='conv_seg'))
        super().__init__(init_cfg=init_cfg)
        if input_transform not in (None, 'resize_concat', 'multiple_select'):
            raise ConfigError(f"input_transform {input_transform!r}: expected None, "
                              "'resize_concat' or 'multiple_select'")
        if (input_transform is None) != isinstance(in_index, int):
            raise ConfigError(f'in_index {in_index!r} does not fit input_transform '
                              f'{input_transform!r}: one int without a transform, a list with one')
        if input_transform == 'resize_concat':
            in_channels = sum(in_channels)
        self.in_channels = in_channels
        self.channels = channels
        self.num_classes = num_classes
        self.in_index = in_index
        self.input_transform = input_transform
        self.norm_cfg = norm_cfg
        self.align_corners = align_corners
        self.ignore_index = ignore_index
        losses = loss_decode if isinstance(loss_decode, (list, tuple)) else [loss_decode]
        self.loss_decode = nn.ModuleList(MODELS.build(cfg) for cfg in losses)
        for loss in self.loss_decode:
            if getattr(loss, 'ignore_index', ignore_index) != ignore_index:
                raise ConfigError(f'{type(loss).__name__} ignore_index {loss.ignore_index} differs '
                                  f"from the head's ignore_index {ignore_index}")
        self.sampler = TASK_UTILS.build(sampler) if sampler is not None else None
        if self.has_classifier:
            self.dropout = nn.Dropout2d(dropout_ratio) if dropout_ratio > 0 else None
            self.conv_seg = nn.Conv2d(channels, num_classes, kernel_size=1)

    def forward(self, inputs: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Map the backbone outputs to logits ``(N, num_classes, h, w)``."""
        raise NotImplementedError

    def _transform_inputs(self, inputs: Sequence[torch.Tensor]):
        """Select the head's input(s) from the backbone outputs."""
        if self.input_transform is None:
            return inputs[self.in_index]
        selected = [inputs[i] for i in self.in_index]
        if self.input_transform == 'resize_concat':
            size = selected[0].shape[2:]
            return torch.cat([resize(x, size=size, align_corners=self.align_corners)
                              for x in selected], dim=1)
        return selected

    def cls_seg(self, feat: torch.Tensor) -> torch.Tensor:
        """Dropout then the 1x1 classifier."""
        if self.dropout is not None:
            feat = self.dropout(feat)
        return self.conv_seg(feat)

    def loss(self, inputs: Tuple[torch.Tensor, ...],
             batch_data_samples: List[SegDataSample]) -> dict:
        """Forward and compute the losses against ``gt_sem_seg``."""
        return self.loss_by_feat(self.forward(inputs), batch_data_samples)

    def predict(self, inputs: Tuple[torch.Tensor, ...], size: Tuple[int, int]) -> torch.Tensor:
        """Forward and resize the logits to ``size`` (the network input size)."""
        return resize(self.forward(inputs), size=size, align_corners=self.align_corners)

    def stack_labels(self, batch_data_samples: List[SegDataSample]) -> torch.Tensor:
        """Ground-truth labels of the batch, ``(N, H, W)`` long."""
        return torch.stack([s.gt_sem_seg.data for s in batch_data_samples]).squeeze(1).long()

    def loss_by_feat(self, seg_logits: torch.Tensor,
                     batch_data_samples: List[SegDataSample]) -> dict:
        """Sum of ``loss_decode`` on logits resized to the label size, plus ``acc_seg``."""
        seg_label = self.stack_labels(batch_data_samples)
        seg_logits = resize(seg_logits, size=seg_label.shape[1:], align_corners=self.align_corners)
        weight = self.sampler.sample(seg_logits, seg_label, ignore_index=self.ignore_index) \
            if self.sampler is not None else None
        losses = {}
        for loss_fn in self.loss_decode:
            value = loss_fn(seg_logits, seg_label, weight=weight)
            losses[loss_fn.loss_name] = losses.get(loss_fn.loss_name, 0) + value
        losses['acc_seg'] = accuracy(seg_logits, seg_label, ignore_index=self.ignore_index)
        return losses


@torch.no_grad()
def accuracy(seg_logits: torch.Tensor, seg_label: torch.Tensor, ignore_index: int) -> torch.Tensor:
    """Pixel accuracy in percent over non-ignored pixels (0 when all are ignored)."""
    valid = seg_label != ignore_index
    correct = (class_argmax(seg_logits, dim=1) == seg_label) & valid
    return correct.sum().float() * 100.0 / valid.sum().clamp(min=1)
