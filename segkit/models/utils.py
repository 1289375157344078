"""Small tensor helpers shared by models."""
from typing import Sequence

import torch
import torch.nn.functional as F


def resize(x: torch.Tensor, size: Sequence[int], align_corners: bool = False,
           mode: str = 'bilinear') -> torch.Tensor:
    """Resize a ``(N, C, H, W)`` tensor to ``size``; a no-op when the size already matches."""
    if tuple(x.shape[2:]) == tuple(size):
        return x
    if mode == 'nearest':
        return F.interpolate(x, size=tuple(size), mode='nearest')
    return F.interpolate(x, size=tuple(size), mode=mode, align_corners=align_corners)
