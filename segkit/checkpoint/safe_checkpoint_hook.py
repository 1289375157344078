"""SafeCheckpointHook: checkpoints saved loadable with ``weights_only=True``, loads checked."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from segkit.registry import HOOKS

from .saving import from_plain, to_plain
from .state_dict import PARTIAL_LOAD_KEY, allow_partial_loads, fit_checkpoint


@HOOKS.register_module()
class SafeCheckpointHook(Hook):
    """Store the message hub and meta as plain data so checkpoints need no unsafe unpickling.

    mmengine saves ``HistoryBuffer`` objects and NumPy values, which
    ``torch.load(weights_only=True)`` (the default since PyTorch 2.6) refuses; this hook
    converts them on save and back on load. Every Runner config gets it
    (:func:`~segkit.checkpoint.saving.setup_checkpointing`); listing it is not needed.

    It also checks every load (:mod:`segkit.checkpoint.state_dict`): a checkpoint the
    Runner loads (``load_from``, ``resume``) is reported in one line and refused when it
    fits too little of the model, and so are the loads of ``init_weights`` during the
    run, unless the config sets ``allow_partial_load = True``.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        to_plain(checkpoint)

    def before_run(self, runner) -> None:
        allow_partial_loads(runner.cfg.get(PARTIAL_LOAD_KEY, False))

    def after_run(self, runner) -> None:
        allow_partial_loads(False)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        from_plain(checkpoint)
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        fit_checkpoint(checkpoint, model, runner.cfg.get('load_from') or 'the checkpoint')
