"""Gated-SCNN's dual-task loss: predicted and true boundaries, derived from the segmentation."""
import math

import torch
import torch.nn.functional as F

from segkit.registry import MODELS
from segkit.utils.errors import ConfigError

from .base_loss import BaseLoss


def gradient_magnitude(maps: torch.Tensor) -> torch.Tensor:
    """Per-channel spatial gradient magnitude of ``(N, C, H, W)`` maps, scaled to [0, 1].

    Central differences ``x[i+1] - x[i-1]`` along each axis (the border replicated), then
    ``sqrt(dx^2 + dy^2) / sqrt(2)``: 0 in flat areas, up to 1 across a 0/1 step. The
    square root has a finite gradient everywhere (flat pixels pass none).
    """
    padded = F.pad(maps, (1, 1, 1, 1), mode='replicate')
    dx = padded[:, :, 1:-1, 2:] - padded[:, :, 1:-1, :-2]
    dy = padded[:, :, 2:, 1:-1] - padded[:, :, :-2, 1:-1]
    squared = dx * dx + dy * dy
    nonzero = squared > 0
    magnitude = torch.sqrt(torch.where(nonzero, squared, torch.ones_like(squared)))
    return torch.where(nonzero, magnitude, torch.zeros_like(magnitude)) / math.sqrt(2)


def dual_task(seg_logits: torch.Tensor, seg_label: torch.Tensor, tau: float = 0.5,
              threshold: float = 1e-8, ignore_index: int = 255) -> torch.Tensor:
    """L1 between the boundary maps of the (soft) prediction and of the ground truth.

    The prediction is made differentiable with a Gumbel-softmax sample at temperature
    ``tau``; both it and the one-hot labels go through :func:`gradient_magnitude`, class by
    class. A pixel counts when no pixel of its 3x3 neighbourhood (which the gradient
    reads) is ignored. As in the official code the loss averages ``|pred - true|`` over the
    predicted boundary elements (magnitude > ``threshold``) and over the true ones, and
    takes the mean of the two: a missed boundary and a spurious one both cost.
    """
    num_classes = seg_logits.shape[1]
    valid = seg_label != ignore_index
    soft = F.gumbel_softmax(seg_logits.float(), tau=tau, dim=1)
    one_hot = torch.zeros_like(soft).scatter_(1, seg_label.masked_fill(~valid, 0)[:, None], 1)
    counted = -F.max_pool2d(-valid[:, None].float(), 3, stride=1, padding=1) > 0
    counted = counted.expand(-1, num_classes, -1, -1)
    pred_edges = gradient_magnitude(soft)
    true_edges = gradient_magnitude(one_hot)
    error = (pred_edges - true_edges).abs()
    loss = 0
    for edges in (pred_edges, true_edges):
        mask = (edges.detach() > threshold) & counted
        loss = loss + 0.5 * (error * mask).sum() / mask.sum().clamp(min=1)
    return loss


@MODELS.register_module()
class DualTaskLoss(BaseLoss):
    """Dual-task consistency between segmentation and boundaries (Gated-SCNN, Eq. 5).

    ``forward(seg_logits, seg_label)``: ``seg_logits`` ``(N, C, H, W)`` at the label size,
    ``seg_label`` ``(N, H, W)`` class indices; any number of classes, any device. See
    :func:`dual_task`. Unlike the official code, the spatial gradient is a real one (its
    gradient functions return their input) and nothing is hard-coded to 19 classes or CUDA.
    No Gaussian pre-smoothing: the central difference already spans three pixels.

    Args:
        tau: Gumbel-softmax temperature.
        threshold: boundary magnitude above which an element counts as a boundary.
        loss_weight: multiplier of the loss.
        loss_name: name the loss is logged under; must start with ``loss_``.
        output: head output the loss reads.
        target: ground-truth field the loss compares with.
    """

    def __init__(self, tau: float = 0.5, threshold: float = 1e-8, loss_weight: float = 1.0,
                 loss_name: str = 'loss_dual', output: str = 'seg', target: str = 'gt_sem_seg'):
        super().__init__(loss_weight=loss_weight, loss_name=loss_name, output=output,
                         target=target)
        if tau <= 0:
            raise ConfigError(f'DualTaskLoss tau {tau}: expected a temperature > 0')
        self.tau = tau
        self.threshold = threshold

    def loss(self, seg_logits: torch.Tensor, seg_label: torch.Tensor,
             ignore_index: int = 255) -> torch.Tensor:
        return dual_task(seg_logits, seg_label, self.tau, self.threshold, ignore_index)
