from .boundary_fscore import BoundaryFScore
from .cityscapes_metric import CityscapesMetric
from .iou_metric import IoUMetric

__all__ = ['IoUMetric', 'CityscapesMetric', 'BoundaryFScore']
