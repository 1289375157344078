"""SafeCheckpointHook: keep checkpoints loadable with ``torch.load(weights_only=True)``."""
from mmengine.hooks import Hook

from segkit.registry import HOOKS

from .saving import from_plain, to_plain


@HOOKS.register_module()
class SafeCheckpointHook(Hook):
    """Store the message hub and meta as plain data so checkpoints need no unsafe unpickling.

    mmengine saves ``HistoryBuffer`` objects and NumPy values, which
    ``torch.load(weights_only=True)`` (the default since PyTorch 2.6) refuses; this hook
    converts them on save and back on load. Every Runner config gets it
    (:func:`~segkit.checkpoint.saving.setup_checkpointing`); listing it is not needed.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        to_plain(checkpoint)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        from_plain(checkpoint)
