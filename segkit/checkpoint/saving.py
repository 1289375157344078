"""What every saved checkpoint holds beside the weights, and what resuming restores.

Every training saves through segkit's two checkpoint hooks, whatever its config says
(:func:`setup_checkpointing`, applied to each Runner config): :class:`SegCheckpointHook`
writes the files and :class:`SafeCheckpointHook` keeps them loadable with
``torch.load(weights_only=True)``.
"""
from typing import Any, Optional

from mmengine.config import Config
from mmengine.dist import all_gather_object, get_dist_info
from mmengine.logging import print_log

from segkit.utils.errors import ConfigError

from .plain import plain_cfg, runner_state_from_plain, runner_state_to_plain
from .resume import check_same_model
from .rng import rng_state, set_rng_state
from .state_dict import PARTIAL_LOAD_KEY

CHECKPOINT_HOOK = 'SegCheckpointHook'
SAFE_HOOK = 'SafeCheckpointHook'
# mmengine's hook, which deletes an old checkpoint before the new one is written.
MMENGINE_CHECKPOINT_HOOK = 'CheckpointHook'


def setup_checkpointing(cfg: Config) -> None:
    """Make a Runner config save with segkit's checkpoint hooks.

    ``default_hooks.checkpoint`` of type ``'CheckpointHook'`` (mmengine's) becomes
    :data:`CHECKPOINT_HOOK` with the same arguments, said in one log line, and
    :data:`SAFE_HOOK` is added to ``custom_hooks`` unless it is there.

    Raises:
        ConfigError: ``allow_partial_load`` is not True or False.
    """
    allowed = cfg.get(PARTIAL_LOAD_KEY, False)
    if not isinstance(allowed, bool):
        raise ConfigError(f'{PARTIAL_LOAD_KEY}={allowed!r}: expected True (checkpoints may '
                          'leave most of the model at its initialisation) or False')
    checkpoint = (cfg.get('default_hooks') or {}).get('checkpoint')
    if checkpoint is not None and checkpoint.get('type') == MMENGINE_CHECKPOINT_HOOK:
        checkpoint['type'] = CHECKPOINT_HOOK
        print_log(f"default_hooks.checkpoint: type='{MMENGINE_CHECKPOINT_HOOK}' runs as "
                  f"segkit's {CHECKPOINT_HOOK} (same arguments; a new checkpoint is complete "
                  'before an old one is deleted, and it holds what an exact resume needs)',
                  logger='current')
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(hook.get('type') == SAFE_HOOK for hook in hooks):
        cfg.custom_hooks = [dict(type=SAFE_HOOK), *hooks]


def to_plain(checkpoint: dict) -> None:
    """Replace a checkpoint's ``meta`` and ``message_hub`` by plain data, in place."""
    for key in ('meta', 'message_hub'):
        if key in checkpoint:
            checkpoint[key] = runner_state_to_plain(checkpoint[key])


def from_plain(checkpoint: dict) -> None:
    """Rebuild a loaded checkpoint's ``message_hub`` written by :func:`to_plain`, in place."""
    if 'message_hub' in checkpoint:
        checkpoint['message_hub'] = runner_state_from_plain(checkpoint['message_hub'])


def training_meta(model_cfg: Any, rng: Optional[dict] = None) -> dict:
    """What segkit adds to a checkpoint's ``meta``: every process's random generator states
    (``rng``, or the current ones) and the model config. Called on every process."""
    return dict(rng_states=all_gather_object(rng or rng_state()), model_cfg=plain_cfg(model_cfg))


def resumed_rng_states(checkpoint: dict, cfg: Config) -> Optional[list]:
    """The random generator states of a checkpoint being resumed, after checking that it
    was trained with the model config of ``cfg``."""
    meta = checkpoint.get('meta', {})
    check_same_model(meta.get('model_cfg'), plain_cfg(cfg.get('model')), cfg.get('load_from'))
    states = meta.get('rng_states')
    if states is None:
        print_log('the checkpoint holds no random generator states: the resumed run will '
                  'not repeat an uninterrupted one exactly', logger='current')
    return states


def restore_rng_states(states: list) -> None:
    """Set this process's random generators to its entry of ``states`` (one per process)."""
    rank, world_size = get_dist_info()
    if len(states) != world_size:
        print_log(f'the checkpoint holds the random generator states of {len(states)} '
                  f'processes, this run has {world_size}: not restored, so the resumed run '
                  'will not repeat an uninterrupted one exactly', logger='current')
        return
    set_rng_state(states[rank])
