"""Soft multi-class Dice loss."""
from typing import Optional, Sequence

import torch

from segkit.registry import MODELS
from segkit.utils.errors import ConfigError

from .base_loss import BaseLoss
from .utils import one_hot_labels


def dice_loss(seg_logits: torch.Tensor, seg_label: torch.Tensor,
              weight: Optional[torch.Tensor] = None,
              class_weight: Optional[torch.Tensor] = None, smooth: float = 1.0,
              exponent: int = 2, ignore_index: int = 255) -> torch.Tensor:
    """Soft Dice loss of softmax probabilities, per image and class, then averaged.

    For image n and class c, with p the softmax probability, t the one-hot label and w the
    pixel weight (0 at ignored pixels)::

        loss[n, c] = 1 - (2 * sum(w * p * t) + smooth) / (sum(w * (p**exponent + t)) + smooth)

    The result is the mean over images of the (class-weighted) mean over classes. An
    image with no counted pixel gives 0; a class absent from an image still counts, which
    pushes its probabilities there towards 0.

    Args:
        seg_logits: ``(N, C, H, W)`` logits.
        seg_label: ``(N, H, W)`` class indices.
        weight: optional ``(N, H, W)`` pixel weight (e.g. a sampler's 0/1 mask) multiplied
            into every sum, so weight-0 pixels do not count.
        class_weight: optional ``(C,)`` weights of the per-class losses (a weighted mean).
        smooth: added to numerator and denominator; keeps empty sums finite.
        exponent: power of the probabilities in the denominator (2: V-Net's squared form).
        ignore_index: label value to ignore.
    """
    num_classes = seg_logits.shape[1]
    probs = seg_logits.float().softmax(dim=1)
    one_hot, valid = one_hot_labels(seg_label, num_classes, ignore_index)
    pixel_weight = valid.float()
    if weight is not None:
        pixel_weight = pixel_weight * weight
    pixel_weight = pixel_weight[:, None]
    intersection = (probs * one_hot * pixel_weight).sum(dim=(2, 3))
    total = ((probs.pow(exponent) + one_hot) * pixel_weight).sum(dim=(2, 3))
    loss = 1 - (2 * intersection + smooth) / (total + smooth)
    if class_weight is not None:
        loss = (loss * class_weight).sum(dim=1) / class_weight.sum()
    else:
        loss = loss.mean(dim=1)
    return loss.mean()


@MODELS.register_module()
class DiceLoss(BaseLoss):
    """Soft Dice loss for multi-class segmentation (see :func:`dice_loss`).

    As MMSegmentation 0.x's DiceLoss (``smooth``, ``exponent``, per-image Dice) but with
    ignored pixels left out of the denominator too, and ``class_weight`` as a weighted
    mean over classes (so it does not rescale the loss).

    Args:
        smooth: added to numerator and denominator; must be > 0.
        exponent: power of the probabilities in the denominator.
        class_weight: one weight per class, or None.
        loss_weight: multiplier of the loss.
        loss_name: name the loss is logged under; must start with ``loss_``.
        output: head output the loss reads.
        target: ground-truth field the loss compares with.

    A sampler's per-pixel ``weight`` multiplies every pixel's contribution.
    """

    pixel_weighted = True

    def __init__(self, smooth: float = 1.0, exponent: int = 2,
                 class_weight: Optional[Sequence[float]] = None, loss_weight: float = 1.0,
                 loss_name: str = 'loss_dice', output: str = 'seg',
                 target: str = 'gt_sem_seg'):
        super().__init__(loss_weight=loss_weight, loss_name=loss_name, output=output,
                         target=target, class_weight=class_weight)
        if smooth <= 0:
            raise ConfigError(f'DiceLoss smooth must be > 0 (it keeps empty images finite), '
                              f'got {smooth}')
        self.smooth = smooth
        self.exponent = exponent

    def loss(self, seg_logits: torch.Tensor, seg_label: torch.Tensor,
             weight: Optional[torch.Tensor] = None, ignore_index: int = 255) -> torch.Tensor:
        return dice_loss(seg_logits, seg_label, weight=weight, class_weight=self.class_weight,
                         smooth=self.smooth, exponent=self.exponent, ignore_index=ignore_index)
