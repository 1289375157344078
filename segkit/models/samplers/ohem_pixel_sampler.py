"""Online hard example mining over pixels."""
from typing import Optional

import torch

from segkit.registry import TASK_UTILS
from segkit.utils.errors import ConfigError


@TASK_UTILS.register_module()
class OHEMPixelSampler:
    """Keep the hard pixels: a 0/1 weight per pixel for the head's losses.

    With ``thresh``, a pixel is kept when its confidence (softmax probability of its true
    class) is below ``thresh``; if fewer than ``min_kept`` per image pass, the
    ``min_kept`` least confident ones are kept instead. Without ``thresh``, exactly the
    ``min_kept`` per image highest-loss pixels are kept (highest cross-entropy, i.e. least
    confident). As in MMSegmentation, ``min_kept`` counts per image: a batch keeps at least
    ``min_kept * N`` pixels, or all its non-ignored pixels when it has fewer. Ignored
    pixels always get weight 0.

    Set it on a head: ``sampler=dict(type='OHEMPixelSampler', thresh=0.7, min_kept=100000)``.
    Losses that average (CrossEntropyLoss with ``avg_non_ignore=True``, FocalLoss) then
    average over the kept pixels only.

    Args:
        thresh: confidence below which pixels are kept, in (0, 1], or None.
        min_kept: pixels kept at least, per image.
    """

    def __init__(self, thresh: Optional[float] = None, min_kept: int = 100000):
        if thresh is not None and not 0 < thresh <= 1:
            raise ConfigError(f'OHEMPixelSampler thresh must be in (0, 1] or None, got {thresh}')
        if min_kept < 0:
            raise ConfigError(f'OHEMPixelSampler min_kept must be >= 0, got {min_kept}')
        if thresh is None and min_kept == 0:
            raise ConfigError('OHEMPixelSampler with thresh=None keeps the min_kept hardest '
                              'pixels; min_kept=0 would keep none')
        self.thresh = thresh
        self.min_kept = min_kept

    @torch.no_grad()
    def sample(self, seg_logits: torch.Tensor, seg_label: torch.Tensor,
               ignore_index: int = 255) -> torch.Tensor:
        """Per-pixel weights: 1 for kept pixels, 0 otherwise.

        Args:
            seg_logits: ``(N, C, H, W)`` logits at the label size.
            seg_label: ``(N, H, W)`` class indices.
            ignore_index: label value of ignored pixels (never kept).

        Returns:
            ``(N, H, W)`` float32 weights.
        """
        valid = seg_label != ignore_index
        target = seg_label.masked_fill(~valid, 0)
        confidence = seg_logits.float().softmax(dim=1).gather(1, target[:, None])[:, 0]
        confidence = confidence[valid]
        if self.thresh is not None:
            keep = confidence < self.thresh
        else:
            keep = torch.zeros_like(confidence, dtype=torch.bool)
        num_kept = min(self.min_kept * seg_label.shape[0], confidence.numel())
        if num_kept > 0:
            keep[confidence.sort(stable=True).indices[:num_kept]] = True
        weight = torch.zeros(seg_label.shape, device=seg_logits.device)
        weight[valid] = keep.to(weight.dtype)
        return weight
