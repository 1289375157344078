from .iou_metric import IoUMetric

__all__ = ['IoUMetric']
