"""Checks and label encodings shared by the losses."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from segkit.utils.errors import ConfigError


def check_loss_name(owner: str, loss_name: str) -> None:
    """A loss is summed into the total only when its name starts with ``loss_``."""
    if not loss_name.startswith('loss_'):
        raise ConfigError(f"{owner} loss_name {loss_name!r} must start with 'loss_' to be "
                          'summed into the total loss')


def check_per_class(owner: str, key: str, values: Optional[Sequence[float]],
                    num_classes: int) -> None:
    """A per-class list (``class_weight``, ``alpha``) must have one entry per class."""
    if values is not None and len(values) != num_classes:
        raise ConfigError(f'{owner} {key} has {len(values)} entries but the model predicts '
                          f'{num_classes} classes')


def one_hot_labels(seg_label: torch.Tensor, num_classes: int,
                   ignore_index: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """One-hot ``(N, C, H, W)`` float labels (all zero at ignored pixels) and the valid mask.

    With ``num_classes`` 1 (a binary sigmoid head, ``out_channels=1``) the one channel is
    the foreground target, ``label == 1``.

    Args:
        seg_label: ``(N, H, W)`` class indices.
        num_classes: C.
        ignore_index: label value of ignored pixels.

    Returns:
        ``(one_hot, valid)``, ``valid`` being the ``(N, H, W)`` bool mask of counted pixels.
    """
    valid = seg_label != ignore_index
    if num_classes == 1:
        return ((seg_label == 1) & valid)[:, None].float(), valid
    one_hot = F.one_hot(seg_label.masked_fill(~valid, 0), num_classes).permute(0, 3, 1, 2)
    return one_hot.float() * valid[:, None], valid
