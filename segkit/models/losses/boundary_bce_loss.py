"""Class-balanced binary cross-entropy on boundary (edge) logits."""
import torch
import torch.nn.functional as F

from segkit.registry import MODELS

from .base_loss import BaseLoss


def boundary_bce(edge_logits: torch.Tensor, edge_label: torch.Tensor,
                 ignore_index: int = 255) -> torch.Tensor:
    """Class-balanced BCE of ``(N, 1, H, W)`` edge logits against ``(N, H, W)`` 0/1 labels.

    Over the non-ignored pixels of the batch, edge pixels are weighted by
    ``negatives / total`` and non-edge pixels by ``positives / total``, so the rare edge
    class counts as much as the background; the weighted sum is divided by the number of
    non-ignored pixels. A batch without edges gives 0.
    """
    edge_logits = edge_logits.float().reshape(edge_label.shape)
    valid = edge_label != ignore_index
    positive = (edge_label == 1) & valid
    num_pos = positive.sum()
    total = valid.sum()
    weight = torch.where(positive, total - num_pos, num_pos) * valid / total.clamp(min=1)
    loss = F.binary_cross_entropy_with_logits(edge_logits, positive.float(), weight=weight,
                                              reduction='sum')
    return loss / total.clamp(min=1)


@MODELS.register_module()
class BoundaryBCELoss(BaseLoss):
    """Gated-SCNN's edge loss: class-balanced BCE on the shape stream's edge logits.

    ``forward(edge_logits, edge_label)``: ``edge_logits`` ``(N, 1, H, W)`` are logits (not
    probabilities: the sigmoid is part of the loss); ``edge_label`` ``(N, H, W)`` holds 1
    on edges, 0 elsewhere and ``ignore_index`` where unknown (from ``GenerateEdge``).
    See :func:`boundary_bce`.

    Args:
        loss_weight: multiplier of the loss (20 in the paper).
        loss_name: name the loss is logged under; must start with ``loss_``.
        output: head output the loss reads (the edge logits).
        target: ground-truth field the loss compares with (``GenerateEdge``'s).
    """

    def __init__(self, loss_weight: float = 20.0, loss_name: str = 'loss_edge',
                 output: str = 'edge', target: str = 'gt_edge_map'):
        super().__init__(loss_weight=loss_weight, loss_name=loss_name, output=output,
                         target=target)

    def loss(self, edge_logits: torch.Tensor, edge_label: torch.Tensor,
             ignore_index: int = 255) -> torch.Tensor:
        return boundary_bce(edge_logits, edge_label, ignore_index)
