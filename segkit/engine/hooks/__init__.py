from .check_invalid_loss_hook import CheckInvalidLossHook
from .metrics_file_hook import MetricsFileHook
from .progress_bar_hook import ProgressBarHook
from .save_predictions_hook import SavePredictionsHook
from .seg_visualization_hook import SegVisualizationHook

__all__ = ['CheckInvalidLossHook', 'MetricsFileHook', 'ProgressBarHook', 'SavePredictionsHook',
           'SegVisualizationHook']
