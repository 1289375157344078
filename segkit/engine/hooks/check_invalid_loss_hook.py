"""CheckInvalidLossHook: stop training at a NaN or infinite loss, before the optimizer step."""
import os.path as osp

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from segkit.registry import HOOKS
from segkit.utils.errors import TrainingError


@HOOKS.register_module()
class CheckInvalidLossHook(Hook):
    """Stop training when a loss term is NaN or infinite, or the weights to save are.

    The losses are checked by a forward hook on the model, which runs when the model
    returns them: before ``backward`` and the optimizer step (mmengine's optimizer wrapper
    steps inside ``train_step``, before any ``after_train_iter`` hook), so no step is taken
    with a non-finite loss. Before a checkpoint is written the weights are checked too (a
    step with a finite loss can still make them non-finite), so no checkpoint holds them.
    Either raises :class:`TrainingError` naming the iteration and the loss term or weight;
    the checkpoints already written are left as they are. The check costs one
    device-to-host copy of one value per iteration.

    In distributed runs the process that finds the loss stops; torchrun then stops the
    others.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        self._handle = model.register_forward_hook(
            lambda module, args, kwargs, output: self._check_losses(runner, kwargs, output),
            with_kwargs=True)

    def after_train(self, runner) -> None:
        self._handle.remove()

    def _check_losses(self, runner, kwargs: dict, output) -> None:
        if kwargs.get('mode') != 'loss' or not isinstance(output, dict):
            return
        terms = {name: value for name, value in output.items() if 'loss' in name}
        sums = [v.detach().float().sum() for value in terms.values()
                for v in (value if isinstance(value, (list, tuple)) else [value])]
        if not sums or bool(torch.stack(sums).isfinite().all()):
            return
        for name, value in terms.items():
            values = value if isinstance(value, (list, tuple)) else [value]
            bad = [v for v in values if not bool(v.detach().isfinite().all())]
            if bad:
                raise TrainingError(
                    f'loss {name} is {_describe(bad[0])} at iteration {runner.iter + 1}: training '
                    'stopped before the optimizer step. ' + _last_checkpoint(runner)
                    + '. Lower the learning rate, or look at the losses logged before')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        for name, value in checkpoint.get('state_dict', {}).items():
            if torch.is_tensor(value) and value.is_floating_point() \
                    and not bool(value.isfinite().all()):
                raise TrainingError(
                    f'the model is not finite after iteration {checkpoint["meta"]["iter"]} '
                    f'({name} is {_describe(value)}): training stopped without saving it. '
                    + _last_checkpoint(runner) + '. Lower the learning rate, or clip gradients '
                    '(optim_wrapper.clip_grad=dict(max_norm=...))')


def _describe(value: torch.Tensor) -> str:
    """'nan' or 'inf' (the first non-finite kind found)."""
    return 'nan' if bool(value.detach().isnan().any()) else 'inf'


def _last_checkpoint(runner) -> str:
    """Names the latest checkpoint written, as ``last_checkpoint`` in the work dir lists it."""
    listing = osp.join(runner.work_dir, 'last_checkpoint')
    if not osp.isfile(listing):
        return 'No checkpoint was saved'
    with open(listing) as f:  # named in this work dir, even if it was copied or moved here
        name = osp.basename(f.read().strip())
    return f'The last checkpoint, {osp.join(runner.work_dir, name)}, is intact'
