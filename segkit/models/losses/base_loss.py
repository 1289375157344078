"""BaseLoss: the settings every segkit loss stores, and how a head applies it."""
from typing import Dict, Optional, Sequence, Tuple

import torch
from torch import nn

from .utils import check_loss_name, check_per_class


class BaseLoss(nn.Module):
    """Base of segkit's losses: the loss weight, the name the loss is logged under (it must
    start with ``loss_`` to be summed into the total), the head output it reads, the
    ground truth it compares with and the per-class weights (a non-persistent
    ``class_weight`` buffer, None when not given).

    Calling a loss checks its per-class settings against the number of classes of the
    prediction (:meth:`check_num_classes`) and returns ``loss_weight`` times
    :meth:`loss`, which a subclass implements.

    A decode head applies every loss the same way, :meth:`from_outputs`: the loss reads
    ``outputs[output]`` (the head's named maps at the label size) and ``targets[target]``
    (the samples' ground-truth field, stacked to ``(N, H, W)``) and gets the head's
    ``ignore_index`` at call time. Losses with ``pixel_weighted = True`` also get the
    head's pixel sampler weights (``weight``, ``(N, H, W)``).

    Args:
        loss_weight: multiplier of the loss.
        loss_name: name the loss is logged under.
        output: name of the head output the loss reads ('seg', 'edge', ...).
        target: data-sample field the loss compares with ('gt_sem_seg', 'gt_edge_map').
        class_weight: one weight per class, or None.
    """

    pixel_weighted = False

    def __init__(self, loss_weight: float, loss_name: str, output: str, target: str,
                 class_weight: Optional[Sequence[float]] = None):
        super().__init__()
        check_loss_name(type(self).__name__, loss_name)
        self.loss_weight = loss_weight
        self.loss_name = loss_name
        self.output = output
        self.target = target
        self.register_buffer(
            'class_weight',
            torch.tensor(class_weight, dtype=torch.float32) if class_weight is not None else None,
            persistent=False)

    def forward(self, pred: torch.Tensor, target: torch.Tensor, *args,
                ignore_index: int = 255, **kwargs) -> torch.Tensor:
        """``loss_weight`` times :meth:`loss` of ``pred`` (``(N, C, H, W)``) and ``target``;
        ``args`` and ``kwargs`` go to :meth:`loss`."""
        self.check_num_classes(pred.shape[1])
        return self.loss_weight * self.loss(pred, target, *args, ignore_index=ignore_index,
                                            **kwargs)

    def loss(self, pred: torch.Tensor, target: torch.Tensor, *args,
             ignore_index: int = 255, **kwargs) -> torch.Tensor:
        """The unweighted loss; implemented by each loss."""
        raise NotImplementedError(f'{type(self).__name__} does not implement loss()')

    def check_num_classes(self, num_classes: int) -> None:
        """Raise ConfigError when a per-class setting does not fit ``num_classes``; a loss
        with more per-class settings extends it."""
        check_per_class(type(self).__name__, 'class_weight', self.class_weight, num_classes)

    @property
    def reads(self) -> Tuple[str, ...]:
        """Names of the head outputs the loss reads."""
        return (self.output,)

    def from_outputs(self, outputs: Dict[str, torch.Tensor], targets: Dict[str, torch.Tensor],
                     ignore_index: int, weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """The loss of the head output and target it names (``weight`` only when
        ``pixel_weighted``)."""
        extra = dict(weight=weight) if self.pixel_weighted else {}
        return self(outputs[self.output], targets[self.target], ignore_index=ignore_index,
                    **extra)
