from .safe_checkpoint_hook import SafeCheckpointHook
from .save_predictions_hook import SavePredictionsHook

__all__ = ['SafeCheckpointHook', 'SavePredictionsHook']
