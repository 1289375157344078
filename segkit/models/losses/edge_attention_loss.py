"""Segmentation cross-entropy restricted to the pixels the edge branch calls boundaries."""
from typing import Dict, Optional, Tuple

import torch

from segkit.registry import MODELS
from segkit.utils.errors import ConfigError

from .base_loss import BaseLoss
from .cross_entropy_loss import cross_entropy


def edge_attention_ce(seg_logits: torch.Tensor, seg_label: torch.Tensor,
                      edge_logits: torch.Tensor, threshold: float = 0.8,
                      ignore_index: int = 255) -> torch.Tensor:
    """Cross-entropy averaged over the labelled pixels whose edge probability > ``threshold``.

    The mask comes from the predicted edges and carries no gradient; the loss trains the
    segmentation logits to be right where the shape stream sees a boundary. No such pixel
    gives 0.
    """
    on_edge = torch.sigmoid(edge_logits.detach().float()).reshape(seg_label.shape) > threshold
    return cross_entropy(seg_logits.float(), seg_label.masked_fill(~on_edge, ignore_index),
                         ignore_index=ignore_index)


@MODELS.register_module()
class EdgeAttentionLoss(BaseLoss):
    """Gated-SCNN's attention loss: segmentation CE where the predicted edge map is confident.

    ``forward(seg_logits, seg_label, edge_logits)``: ``seg_logits`` ``(N, C, H, W)``,
    ``seg_label`` ``(N, H, W)`` class indices, ``edge_logits`` ``(N, 1, H, W)`` from the
    shape stream, all at the label size. See :func:`edge_attention_ce`. A head gives it
    two of its outputs: ``output`` (the segmentation) and ``edge_output``.

    Args:
        threshold: edge probability above which a pixel counts.
        loss_weight: multiplier of the loss.
        loss_name: name the loss is logged under; must start with ``loss_``.
        output: head output the loss reads (the segmentation logits).
        target: ground-truth field the loss compares with.
        edge_output: head output holding the edge logits.
    """

    def __init__(self, threshold: float = 0.8, loss_weight: float = 1.0,
                 loss_name: str = 'loss_att', output: str = 'seg', target: str = 'gt_sem_seg',
                 edge_output: str = 'edge'):
        super().__init__(loss_weight=loss_weight, loss_name=loss_name, output=output,
                         target=target)
        if not 0 <= threshold < 1:
            raise ConfigError(f'EdgeAttentionLoss threshold {threshold}: expected a probability '
                              'in [0, 1)')
        self.threshold = threshold
        self.edge_output = edge_output

    @property
    def reads(self) -> Tuple[str, ...]:
        return (self.output, self.edge_output)

    def from_outputs(self, outputs: Dict[str, torch.Tensor], targets: Dict[str, torch.Tensor],
                     ignore_index: int, weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self(outputs[self.output], targets[self.target], outputs[self.edge_output],
                    ignore_index=ignore_index)

    def loss(self, seg_logits: torch.Tensor, seg_label: torch.Tensor,
             edge_logits: torch.Tensor, ignore_index: int = 255) -> torch.Tensor:
        return edge_attention_ce(seg_logits, seg_label, edge_logits, self.threshold,
                                 ignore_index)
