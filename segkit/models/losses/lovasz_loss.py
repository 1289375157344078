"""Lovász-softmax loss (Berman et al. 2018): a convex surrogate of the per-class IoU."""
from typing import Optional, Sequence, Union

import torch

from segkit.registry import MODELS
from segkit.utils.errors import ConfigError

from .base_loss import BaseLoss
from .utils import one_hot_labels


def lovasz_grad(fg_sorted: torch.Tensor) -> torch.Tensor:
    """Gradient of the Lovász extension of the Jaccard loss, along dim 1.

    Args:
        fg_sorted: ``(B, P, C)`` foreground indicators, sorted by decreasing error.
    """
    fg_total = fg_sorted.sum(dim=1, keepdim=True)
    intersection = fg_total - fg_sorted.cumsum(dim=1)
    union = fg_total + (1 - fg_sorted).cumsum(dim=1)
    jaccard = 1 - intersection / union
    return torch.cat([jaccard[:, :1], jaccard[:, 1:] - jaccard[:, :-1]], dim=1)


def lovasz_softmax(seg_logits: torch.Tensor, seg_label: torch.Tensor,
                   weight: Optional[torch.Tensor] = None,
                   class_weight: Optional[torch.Tensor] = None,
                   classes: Union[str, Sequence[int]] = 'present', per_image: bool = False,
                   ignore_index: int = 255) -> torch.Tensor:
    """Lovász-softmax loss, vectorised over classes (and images with ``per_image``).

    For each class c, the errors ``|t_c - p_c|`` of the counted pixels are sorted in
    decreasing order and dotted with :func:`lovasz_grad` of the sorted foreground. The
    loss is the (class-weighted) mean over the chosen classes, over the whole batch or
    per image and then averaged over images. Ignored pixels get error -1 and sort last,
    after every foreground pixel, where the Lovász gradient is 0: they add nothing. No
    counted pixel, or no chosen class present, gives 0.

    Args:
        seg_logits: ``(N, C, H, W)`` logits.
        seg_label: ``(N, H, W)`` class indices.
        weight: optional ``(N, H, W)`` 0/1 pixel mask (a sampler's); 0 drops the pixel.
        class_weight: optional ``(C,)`` weights of the per-class losses (a weighted mean).
        classes: 'present' (classes in the labels), 'all', or a list of class indices.
        per_image: one loss per image, averaged; else one loss over the batch.
        ignore_index: label value to ignore.
    """
    num, num_classes = seg_logits.shape[:2]
    probs = seg_logits.float().softmax(dim=1)
    one_hot, valid = one_hot_labels(seg_label, num_classes, ignore_index)
    if weight is not None:
        valid = valid & (weight > 0)
        one_hot = one_hot * valid[:, None]
    rows = num if per_image else 1
    probs = probs.permute(0, 2, 3, 1).reshape(rows, -1, num_classes)
    one_hot = one_hot.permute(0, 2, 3, 1).reshape(rows, -1, num_classes)
    valid = valid.reshape(rows, -1, 1)
    errors = torch.where(valid, (one_hot - probs).abs(), -1.0)
    errors_sorted, order = errors.sort(dim=1, descending=True)
    fg_sorted = one_hot.gather(1, order)
    losses = (errors_sorted * lovasz_grad(fg_sorted)).sum(dim=1)  # (rows, C)
    if classes == 'present':
        chosen = (one_hot.sum(dim=1) > 0).float()
    elif classes == 'all':
        chosen = valid.any(dim=1).float().expand(-1, num_classes)
    else:
        chosen = torch.zeros(num_classes, device=losses.device)
        chosen[list(classes)] = 1
        chosen = valid.any(dim=1).float() * chosen
    if class_weight is not None:
        chosen = chosen * class_weight
    per_row = (losses * chosen).sum(dim=1) / chosen.sum(dim=1).clamp(
        min=torch.finfo(losses.dtype).eps)
    return per_row.mean()


@MODELS.register_module()
class LovaszLoss(BaseLoss):
    """Lovász-softmax loss, which optimises the mean IoU directly.

    As MMSegmentation's ``LovaszLoss(loss_type='multi_class')``. Often combined with
    cross-entropy: ``loss_decode=[dict(type='CrossEntropyLoss'), dict(type='LovaszLoss')]``.

    Args:
        classes: 'present' (only classes in the labels count, the usual choice), 'all',
            or a list of class indices.
        per_image: one loss per image, averaged (else one over the whole batch).
        class_weight: one weight per class, or None.
        loss_weight: multiplier of the loss.
        loss_name: name the loss is logged under; must start with ``loss_``.
        output: head output the loss reads.
        target: ground-truth field the loss compares with.

    A sampler's per-pixel ``weight`` must be a 0/1 mask (OHEM's is): pixels with weight 0
    are left out like ignored ones. Other weights raise ConfigError, since the Lovász
    extension has no per-pixel weighting.
    """

    pixel_weighted = True

    def __init__(self, classes: Union[str, Sequence[int]] = 'present', per_image: bool = False,
                 class_weight: Optional[Sequence[float]] = None, loss_weight: float = 1.0,
                 loss_name: str = 'loss_lovasz', output: str = 'seg',
                 target: str = 'gt_sem_seg'):
        super().__init__(loss_weight=loss_weight, loss_name=loss_name, output=output,
                         target=target, class_weight=class_weight)
        if isinstance(classes, str) and classes not in ('present', 'all'):
            raise ConfigError(f"LovaszLoss classes {classes!r}: expected 'present', 'all' or "
                              'a list of class indices')
        self.classes = classes if isinstance(classes, str) else tuple(classes)
        self.per_image = per_image

    def check_num_classes(self, num_classes: int) -> None:
        super().check_num_classes(num_classes)
        if not isinstance(self.classes, str) and not all(
                0 <= c < num_classes for c in self.classes):
            raise ConfigError(f'LovaszLoss classes {list(self.classes)} must be class indices '
                              f'in 0..{num_classes - 1}')

    def loss(self, seg_logits: torch.Tensor, seg_label: torch.Tensor,
             weight: Optional[torch.Tensor] = None, ignore_index: int = 255) -> torch.Tensor:
        if weight is not None and not ((weight == 0) | (weight == 1)).all():
            raise ConfigError('LovaszLoss takes only a 0/1 pixel weight (a sampler mask such '
                              "as OHEMPixelSampler's); got other values")
        return lovasz_softmax(seg_logits, seg_label, weight=weight,
                              class_weight=self.class_weight, classes=self.classes,
                              per_image=self.per_image, ignore_index=ignore_index)
