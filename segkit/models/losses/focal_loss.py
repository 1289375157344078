"""Focal loss (Lin et al. 2017), sigmoid or softmax."""
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F

from segkit.registry import MODELS
from segkit.utils.errors import ConfigError

from .base_loss import BaseLoss
from .utils import check_per_class, one_hot_labels


def _weighted_mean(loss: torch.Tensor, pixel_weight: torch.Tensor) -> torch.Tensor:
    """Sum of ``loss * pixel_weight`` over the total weight; 0 (not NaN) when it is 0."""
    return (loss * pixel_weight).sum() / pixel_weight.sum().clamp(
        min=torch.finfo(loss.dtype).eps)


def _modulator(one_minus_p: torch.Tensor, gamma: float) -> torch.Tensor:
    """``(1 - p_t)**gamma`` with ``1 - p_t`` kept above eps: a finite gradient for gamma < 1."""
    return one_minus_p.clamp(min=torch.finfo(one_minus_p.dtype).eps).pow(gamma)


def sigmoid_focal_loss(seg_logits: torch.Tensor, seg_label: torch.Tensor,
                       weight: Optional[torch.Tensor] = None,
                       class_weight: Optional[torch.Tensor] = None, gamma: float = 2.0,
                       alpha: Union[float, torch.Tensor] = 0.5,
                       ignore_index: int = 255) -> torch.Tensor:
    """Per-class sigmoid focal loss against one-hot labels.

    For each class, with p = sigmoid(logit) and t the one-hot label::

        loss = -(alpha * t + (1 - alpha) * (1 - t)) * |t - p|**gamma * BCE(p, t)

    summed over classes (each times ``class_weight[c]``), then averaged over the counted
    pixels (weighted by ``weight``). ``alpha`` is a float or a ``(C,)`` tensor.
    """
    num_classes = seg_logits.shape[1]
    seg_logits = seg_logits.float()
    one_hot, valid = one_hot_labels(seg_label, num_classes, ignore_index)
    alpha = torch.as_tensor(alpha, dtype=seg_logits.dtype, device=seg_logits.device)
    if alpha.dim():
        alpha = alpha.view(1, -1, 1, 1)
    balance = alpha * one_hot + (1 - alpha) * (1 - one_hot)
    loss = F.binary_cross_entropy_with_logits(seg_logits, one_hot, reduction='none')
    loss = loss * _modulator((one_hot - seg_logits.sigmoid()).abs(), gamma) * balance
    if class_weight is not None:
        loss = loss * class_weight.view(1, -1, 1, 1)
    pixel_weight = valid.float() if weight is None else valid.float() * weight
    return _weighted_mean(loss.sum(dim=1), pixel_weight)


def softmax_focal_loss(seg_logits: torch.Tensor, seg_label: torch.Tensor,
                       weight: Optional[torch.Tensor] = None,
                       class_weight: Optional[torch.Tensor] = None, gamma: float = 2.0,
                       alpha: Union[float, torch.Tensor] = 0.5,
                       ignore_index: int = 255) -> torch.Tensor:
    """Softmax focal loss: cross-entropy scaled by ``alpha_t * (1 - p_t)**gamma``.

    ``p_t`` is the softmax probability of the true class, ``alpha_t`` is ``alpha[y]`` for
    a ``(C,)`` tensor and ``alpha`` itself for a float (a plain scale). The result is the
    mean over counted pixels weighted by ``class_weight[y] * weight``, so class weights
    reweight pixels without rescaling the loss, as in :func:`cross_entropy`.
    """
    valid = seg_label != ignore_index
    target = seg_label.masked_fill(~valid, 0)
    log_p = seg_logits.float().log_softmax(dim=1).gather(1, target[:, None])[:, 0]
    loss = -_modulator(-torch.expm1(log_p), gamma) * log_p
    alpha = torch.as_tensor(alpha, dtype=loss.dtype, device=loss.device)
    loss = loss * (alpha[target] if alpha.dim() else alpha)
    pixel_weight = valid.float()
    if class_weight is not None:
        pixel_weight = pixel_weight * class_weight[target]
    if weight is not None:
        pixel_weight = pixel_weight * weight
    return _weighted_mean(loss, pixel_weight)


@MODELS.register_module()
class FocalLoss(BaseLoss):
    """Focal loss for segmentation: easy pixels weigh less, by ``(1 - p_t)**gamma``.

    ``use_sigmoid=True`` (MMSegmentation's only mode and default) is the RetinaNet form:
    per-class sigmoid on one-hot labels, ``alpha`` balancing positives (``alpha``) against
    negatives (``1 - alpha``), summed over classes and averaged over non-ignored pixels
    (MMSegmentation averages over pixels x classes, ignored pixels included, so its value
    is smaller by about a factor of C). ``use_sigmoid=False`` is the softmax form:
    ``-alpha_t (1 - p_t)**gamma log p_t``, averaged over non-ignored pixels.

    Args:
        use_sigmoid: sigmoid (one-vs-rest) or softmax focal loss.
        gamma: focusing parameter, >= 0; 0 gives (alpha-weighted) BCE / CE.
        alpha: a float, or one value per class (the positive weight of each class for the
            sigmoid form, ``alpha_t`` of the true class for the softmax form).
        class_weight: one weight per class, or None: multiplies each class's term
            (sigmoid) or each pixel by its true class's weight in a weighted mean (softmax).
        loss_weight: multiplier of the loss.
        loss_name: name the loss is logged under; must start with ``loss_``.
        output: head output the loss reads.
        target: ground-truth field the loss compares with.

    A sampler's per-pixel ``weight`` multiplies each pixel's loss and its share of the mean.
    """

    pixel_weighted = True

    def __init__(self, use_sigmoid: bool = True, gamma: float = 2.0,
                 alpha: Union[float, Sequence[float]] = 0.5,
                 class_weight: Optional[Sequence[float]] = None, loss_weight: float = 1.0,
                 loss_name: str = 'loss_focal', output: str = 'seg',
                 target: str = 'gt_sem_seg'):
        super().__init__(loss_weight=loss_weight, loss_name=loss_name, output=output,
                         target=target, class_weight=class_weight)
        if gamma < 0:
            raise ConfigError(f'FocalLoss gamma must be >= 0, got {gamma}')
        self.use_sigmoid = use_sigmoid
        self.gamma = gamma
        self.register_buffer('alpha', torch.tensor(alpha, dtype=torch.float32),
                             persistent=False)

    def check_num_classes(self, num_classes: int) -> None:
        super().check_num_classes(num_classes)
        if self.alpha.dim():
            check_per_class('FocalLoss', 'alpha', self.alpha, num_classes)

    def loss(self, seg_logits: torch.Tensor, seg_label: torch.Tensor,
             weight: Optional[torch.Tensor] = None, ignore_index: int = 255) -> torch.Tensor:
        loss_fn = sigmoid_focal_loss if self.use_sigmoid else softmax_focal_loss
        return loss_fn(seg_logits, seg_label, weight=weight, class_weight=self.class_weight,
                       gamma=self.gamma, alpha=self.alpha, ignore_index=ignore_index)
