from .boundary_bce_loss import BoundaryBCELoss, boundary_bce
from .cross_entropy_loss import CrossEntropyLoss, cross_entropy
from .dice_loss import DiceLoss, dice_loss
from .dual_task_loss import DualTaskLoss, dual_task
from .edge_attention_loss import EdgeAttentionLoss, edge_attention_ce
from .focal_loss import FocalLoss, sigmoid_focal_loss, softmax_focal_loss
from .lovasz_loss import LovaszLoss, lovasz_softmax

__all__ = ['CrossEntropyLoss', 'cross_entropy', 'DiceLoss', 'dice_loss', 'FocalLoss',
           'sigmoid_focal_loss', 'softmax_focal_loss', 'LovaszLoss', 'lovasz_softmax',
           'BoundaryBCELoss', 'boundary_bce', 'DualTaskLoss', 'dual_task', 'EdgeAttentionLoss',
           'edge_attention_ce']
