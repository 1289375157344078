"""Pixel-wise cross-entropy loss."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F

from segkit.registry import MODELS

from .base_loss import BaseLoss
from .utils import one_hot_labels


def cross_entropy(seg_logits: torch.Tensor, seg_label: torch.Tensor,
                  weight: Optional[torch.Tensor] = None,
                  class_weight: Optional[torch.Tensor] = None, ignore_index: int = 255,
                  avg_non_ignore: bool = True) -> torch.Tensor:
    """Softmax cross-entropy of ``(N, C, H, W)`` logits against ``(N, H, W)`` labels.

    ``weight`` is a per-pixel weight ``(N, H, W)``. With ``avg_non_ignore`` the sum is
    divided by the total weight of the non-ignored pixels (a true weighted mean, so class
    weights do not rescale the loss); otherwise by the number of all pixels, ignored
    ones included (MMSegmentation's default). An all-ignored batch gives 0, not NaN.
    """
    loss = F.cross_entropy(seg_logits, seg_label, weight=class_weight, reduction='none',
                           ignore_index=ignore_index)
    valid = (seg_label != ignore_index).to(loss.dtype)
    pixel_weight = valid
    if class_weight is not None:
        pixel_weight = pixel_weight * class_weight[seg_label.clamp(0, len(class_weight) - 1)]
    if weight is not None:
        loss = loss * weight
        pixel_weight = pixel_weight * weight
    if avg_non_ignore:
        return loss.sum() / pixel_weight.sum().clamp(min=torch.finfo(loss.dtype).eps)
    return loss.sum() / loss.numel()


def binary_cross_entropy(seg_logits: torch.Tensor, seg_label: torch.Tensor,
                         weight: Optional[torch.Tensor] = None,
                         class_weight: Optional[torch.Tensor] = None, ignore_index: int = 255,
                         avg_non_ignore: bool = True) -> torch.Tensor:
    """Per-class sigmoid cross-entropy against one-hot labels (ignored pixels excluded)."""
    one_hot, valid = one_hot_labels(seg_label, seg_logits.shape[1], ignore_index)
    loss = F.binary_cross_entropy_with_logits(seg_logits, one_hot.to(seg_logits.dtype),
                                              reduction='none')
    if class_weight is not None:
        loss = loss * class_weight.view(1, -1, 1, 1)
    loss = loss.sum(dim=1)
    pixel_weight = valid.to(loss.dtype)
    if weight is not None:
        pixel_weight = pixel_weight * weight
    loss = loss * pixel_weight
    if avg_non_ignore:
        return loss.sum() / pixel_weight.sum().clamp(min=torch.finfo(loss.dtype).eps)
    return loss.sum() / loss.numel()


@MODELS.register_module()
class CrossEntropyLoss(BaseLoss):
    """Cross-entropy loss for segmentation; a sampler's per-pixel ``weight`` multiplies each
    pixel's loss and its share of the mean.

    Args:
        use_sigmoid: per-class sigmoid BCE on one-hot labels instead of softmax CE.
        class_weight: one weight per class, or None.
        avg_non_ignore: average over the (weighted) non-ignored pixels; False divides by
            all pixels as MMSegmentation's default does.
        loss_weight: multiplier of the loss.
        loss_name: name the loss is logged under; must start with ``loss_``.
        output: head output the loss reads.
        target: ground-truth field the loss compares with.
    """

    pixel_weighted = True

    def __init__(self, use_sigmoid: bool = False, class_weight: Optional[Sequence[float]] = None,
                 avg_non_ignore: bool = True, loss_weight: float = 1.0,
                 loss_name: str = 'loss_ce', output: str = 'seg', target: str = 'gt_sem_seg'):
        super().__init__(loss_weight=loss_weight, loss_name=loss_name, output=output,
                         target=target, class_weight=class_weight)
        self.use_sigmoid = use_sigmoid
        self.avg_non_ignore = avg_non_ignore

    def loss(self, seg_logits: torch.Tensor, seg_label: torch.Tensor,
             weight: Optional[torch.Tensor] = None, ignore_index: int = 255) -> torch.Tensor:
        loss_fn = binary_cross_entropy if self.use_sigmoid else cross_entropy
        class_weight = self.class_weight.to(seg_logits.dtype) \
            if self.class_weight is not None else None
        return loss_fn(seg_logits, seg_label, weight=weight, class_weight=class_weight,
                       ignore_index=ignore_index, avg_non_ignore=self.avg_non_ignore)
