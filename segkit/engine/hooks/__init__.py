from .check_invalid_loss_hook import CheckInvalidLossHook
from .progress_bar_hook import ProgressBarHook
from .save_predictions_hook import SavePredictionsHook
from .seg_visualization_hook import SegVisualizationHook

__all__ = ['CheckInvalidLossHook', 'ProgressBarHook', 'SavePredictionsHook',
           'SegVisualizationHook']
