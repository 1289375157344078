"""BaseLoss: the settings every segkit loss stores and checks."""
from typing import Optional, Sequence

import torch
from torch import nn

from .utils import check_loss_name


class BaseLoss(nn.Module):
    """Base of segkit's losses: the loss weight, the name the loss is logged under (it must
    start with ``loss_`` to be summed into the total), the ignored label value and the
    per-class weights (a non-persistent ``class_weight`` buffer, None when not given).

    Args:
        loss_weight: multiplier of the loss.
        loss_name: name the loss is logged under.
        ignore_index: label value to ignore.
        class_weight: one weight per class, or None.
    """

    def __init__(self, loss_weight: float, loss_name: str, ignore_index: int,
                 class_weight: Optional[Sequence[float]] = None):
        super().__init__()
        check_loss_name(type(self).__name__, loss_name)
        self.loss_weight = loss_weight
        self.loss_name = loss_name
        self.ignore_index = ignore_index
        self.register_buffer(
            'class_weight',
            torch.tensor(class_weight, dtype=torch.float32) if class_weight is not None else None,
            persistent=False)
