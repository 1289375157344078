"""BaseDecodeHead: the shared work of every decode head.

A head writes ``__init__`` and ``forward``; the base does the rest. The contract::

    forward(inputs, size, extras) -> {'seg': logits, ...}

``inputs`` are the backbone (neck) outputs, ``size`` the target size (the label size in
training, the network input size at inference; a head may build its maps at that size or
leave the resizing to the base), ``extras`` the model's named inputs (``'img'`` and any
``extra_inputs`` the head declares, such as Gated-SCNN's Canny ``'edge'``, ``(N, C, H, W)``
at the input size). The result names every output in ``output_names``; ``'seg'`` (class
logits) is what inference, sliding windows, test-time augmentation and export use::

    predict(inputs, size, extras)             = forward(...) resized to size
    loss(inputs, size, extras, data_samples)  = loss_by_feat(forward(...), data_samples)

``loss_by_feat`` resizes every output to the label size, stacks the ground-truth fields
the losses name (``gt_sem_seg``, ``gt_edge_map``, ...), asks the optional pixel
``sampler`` for per-pixel weights of ``'seg'`` and sums every loss in ``loss_decode``,
each bound to the output and target its config names (:class:`BaseLoss`) and logged under
its own ``loss_name``.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from segkit.registry import MODELS, TASK_UTILS
from segkit.structures import SegDataSample
from segkit.utils.errors import ConfigError

from ..utils import resize, seg_labels

# How to get a ground-truth field that a loss names, beyond gt_sem_seg.
TARGET_HINTS = {'gt_edge_map': "put dict(type='GenerateEdge') in the train pipeline after crop "
                               'and flip, before PackSegInputs'}


class BaseDecodeHead(BaseModule):
    """Base of the decode heads.

    Args:
        in_channels: channels of the selected input(s); a sequence with
            ``input_transform='resize_concat'`` or ``'multiple_select'``. Left out of a
            segmentor's head config, it is the backbone's ``out_channels`` at ``in_index``.
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
        out_channels: classifier outputs: ``num_classes`` (None), or 1 for binary
            segmentation with a sigmoid (``num_classes=2``, every loss on ``'seg'`` with
            ``use_sigmoid=True``), as in MMSegmentation.
        threshold: with ``out_channels=1``, a pixel is class 1 where the sigmoid of its
            logit exceeds it (0.5 when None); ``test_cfg.threshold`` overrides it.
        init_cfg: mmengine init config; None gives the classifier N(0, 0.01).

    Class attributes a head may set:

    - ``output_names``: the names ``forward`` returns (``('seg',)``; ``'seg'`` first).
    - ``extra_inputs``: the named inputs beside ``'img'`` that ``forward`` reads from
      ``extras``, each with a line saying where it comes from (for error messages).
    - ``has_classifier = False`` for heads that predict class scores without the shared
      classifier: the base then builds no ``conv_seg`` (an unused parameter would break
      DDP) and :meth:`cls_seg` applies the dropout only.
    """

    output_names: Tuple[str, ...] = ('seg',)
    extra_inputs: Dict[str, str] = {}
    has_classifier = True

    def __init__(self, in_channels: Union[int, Sequence[int]], channels: int, num_classes: int,
                 in_index: Union[int, Sequence[int]] = -1, input_transform: Optional[str] = None,
                 dropout_ratio: float = 0.1, norm_cfg: Optional[dict] = None,
                 align_corners: bool = False,
                 loss_decode: Union[dict, Sequence[dict]] = dict(type='CrossEntropyLoss',
                                                                 loss_weight=1.0),
                 ignore_index: int = 255, sampler: Optional[dict] = None,
                 out_channels: Optional[int] = None, threshold: Optional[float] = None,
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
            unknown = [name for name in loss.reads if name not in self.output_names]
            if unknown:
                raise ConfigError(f'{type(loss).__name__} ({loss.loss_name}) reads output(s) '
                                  f'{unknown}, but {type(self).__name__} gives '
                                  f'{list(self.output_names)}')
        self.out_channels = self._check_out_channels(out_channels, threshold, sampler)
        self.threshold = 0.5 if threshold is None else threshold
        self.sampler = TASK_UTILS.build(sampler) if sampler is not None else None
        self.dropout = nn.Dropout2d(dropout_ratio) if dropout_ratio > 0 else None
        self.conv_seg = nn.Conv2d(channels, self.out_channels, kernel_size=1) \
            if self.has_classifier else None

    def _check_out_channels(self, out_channels: Optional[int], threshold: Optional[float],
                            sampler: Optional[dict]) -> int:
        """``out_channels`` (``num_classes`` when None); 1 only for sigmoid binary heads."""
        name = type(self).__name__
        if out_channels is None or out_channels == self.num_classes:
            if threshold is not None:
                raise ConfigError(f'{name} threshold={threshold} applies to out_channels=1 '
                                  '(binary segmentation with a sigmoid) only')
            return self.num_classes
        if out_channels != 1:
            raise ConfigError(f'{name} out_channels={out_channels}: expected num_classes '
                              f'({self.num_classes}) or 1 (binary, sigmoid)')
        if self.num_classes != 2:
            raise ConfigError(f'{name} out_channels=1 is binary segmentation: set '
                              f'num_classes=2, got {self.num_classes}')
        if not self.has_classifier:
            raise ConfigError(f'{name} makes its class maps without the shared classifier: '
                              'out_channels=1 is not supported, use out_channels=2')
        if sampler is not None:
            raise ConfigError(f'{name} out_channels=1: the pixel sampler ranks pixels by their '
                              'softmax class probability; use out_channels=2 with a sampler')
        softmax = [loss.loss_name for loss in self.loss_decode
                   if loss.output == 'seg' and not getattr(loss, 'use_sigmoid', False)]
        if softmax:
            raise ConfigError(f"{name} out_channels=1 needs sigmoid losses: set "
                              f"use_sigmoid=True in {', '.join(softmax)}")
        if threshold is not None and not 0 < threshold < 1:
            raise ConfigError(f'{name} threshold={threshold}: expected a probability in (0, 1)')
        return 1

    def forward(self, inputs: Tuple[torch.Tensor, ...], size: Sequence[int],
                extras: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Map the backbone outputs to the head's named outputs (see the module docstring)."""
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
        """Dropout then the 1x1 classifier (without a classifier, the dropout only)."""
        if self.dropout is not None:
            feat = self.dropout(feat)
        return self.conv_seg(feat) if self.conv_seg is not None else feat

    def predict(self, inputs: Tuple[torch.Tensor, ...], size: Sequence[int],
                extras: Optional[Dict[str, torch.Tensor]] = None) -> Dict[str, torch.Tensor]:
        """Every output of ``forward``, resized to ``size`` (the network input size)."""
        outputs = self(inputs, size, extras or {})
        return {name: resize(x, size=size, align_corners=self.align_corners)
                for name, x in outputs.items()}

    def loss(self, inputs: Tuple[torch.Tensor, ...], size: Sequence[int],
             extras: Optional[Dict[str, torch.Tensor]],
             batch_data_samples: List[SegDataSample]) -> dict:
        """Forward at ``size`` (the label size) and compute the losses."""
        return self.loss_by_feat(self(inputs, size, extras or {}), batch_data_samples)

    def loss_by_feat(self, outputs: Dict[str, torch.Tensor],
                     batch_data_samples: List[SegDataSample]) -> dict:
        """Every loss on the outputs resized to the label size, summed per ``loss_name``,
        plus ``acc_seg``."""
        names = dict.fromkeys(['gt_sem_seg', *(loss.target for loss in self.loss_decode)])
        targets = {name: self._stack_target(batch_data_samples, name) for name in names}
        seg_label = targets['gt_sem_seg']
        outputs = {name: resize(x, size=seg_label.shape[1:], align_corners=self.align_corners)
                   for name, x in outputs.items()}
        seg_logits = outputs['seg']
        weight = self.sampler.sample(seg_logits, seg_label, ignore_index=self.ignore_index) \
            if self.sampler is not None else None
        losses = {}
        for loss_fn in self.loss_decode:
            value = loss_fn.from_outputs(outputs, targets, ignore_index=self.ignore_index,
                                         weight=weight)
            losses[loss_fn.loss_name] = losses.get(loss_fn.loss_name, 0) + value
        losses['acc_seg'] = accuracy(seg_logits, seg_label, ignore_index=self.ignore_index,
                                     threshold=self.threshold)
        return losses

    def _stack_target(self, batch_data_samples: List[SegDataSample], name: str) -> torch.Tensor:
        """The samples' ground-truth field ``name`` as ``(N, H, W)`` long."""
        if not all(name in s for s in batch_data_samples):
            readers = [loss.loss_name for loss in self.loss_decode if loss.target == name]
            raise ConfigError(f"{type(self).__name__}'s {', '.join(readers) or 'accuracy'} "
                              f"needs each sample's {name}"
                              + (f': {TARGET_HINTS[name]}' if name in TARGET_HINTS else ''))
        return torch.stack([s.get(name).data for s in batch_data_samples]).squeeze(1).long()


@torch.no_grad()
def accuracy(seg_logits: torch.Tensor, seg_label: torch.Tensor, ignore_index: int,
             threshold: float = 0.5) -> torch.Tensor:
    """Pixel accuracy in percent over non-ignored pixels (0 when all are ignored)."""
    valid = seg_label != ignore_index
    correct = (seg_labels(seg_logits, dim=1, threshold=threshold) == seg_label) & valid
    return correct.sum().float() * 100.0 / valid.sum().clamp(min=1)
