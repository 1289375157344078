from .check_invalid_loss_hook import CheckInvalidLossHook
from .checkpoint_hook import CheckpointHook
from .metrics_file_hook import MetricsFileHook
from .progress_bar_hook import ProgressBarHook
from .safe_checkpoint_hook import SafeCheckpointHook
from .save_predictions_hook import SavePredictionsHook
from .seg_visualization_hook import SegVisualizationHook

__all__ = ['CheckInvalidLossHook', 'CheckpointHook', 'MetricsFileHook', 'ProgressBarHook',
           'SafeCheckpointHook', 'SavePredictionsHook', 'SegVisualizationHook']
