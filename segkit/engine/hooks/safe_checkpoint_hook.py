"""SafeCheckpointHook: keep checkpoints loadable with ``torch.load(weights_only=True)``."""
import numpy as np
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer

from segkit.registry import HOOKS

BUFFER_TAG = '__history_buffer__'


def to_plain(value):
    """Replace HistoryBuffers and NumPy values by tensors-free plain Python data."""
    if isinstance(value, HistoryBuffer):
        log, count = value.data
        return {BUFFER_TAG: True, 'log_history': log.tolist(), 'count_history': count.tolist(),
                'max_length': value.max_length}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_plain(v) for v in value)
    return value


def from_plain(value):
    """Rebuild the HistoryBuffers written by :func:`to_plain`."""
    if isinstance(value, dict):
        if value.get(BUFFER_TAG):
            return HistoryBuffer(log_history=value['log_history'],
                                 count_history=value['count_history'],
                                 max_length=value['max_length'])
        return {k: from_plain(v) for k, v in value.items()}
    return value


@HOOKS.register_module()
class SafeCheckpointHook(Hook):
    """Store the message hub and meta as plain data so checkpoints need no unsafe unpickling.

    mmengine saves ``HistoryBuffer`` objects and NumPy values, which
    ``torch.load(weights_only=True)`` (the default since PyTorch 2.6) refuses; this hook
    converts them on save and back on load.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        for key in ('meta', 'message_hub'):
            if key in checkpoint:
                checkpoint[key] = to_plain(checkpoint[key])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'message_hub' in checkpoint:
            checkpoint['message_hub'] = from_plain(checkpoint['message_hub'])
