"""Resuming: which checkpoint a work dir continues from, and whether it can."""
import os
import os.path as osp
import re
from typing import Optional

from segkit.utils.errors import CheckpointError, ConfigError

from .io import safe_load
from .keys import TRAINING_NEUTRAL_KEYS

CHECKPOINT_NAME = re.compile(r'iter_(\d+)\.pth')


def check_resumable(checkpoint: str, train_cfg: dict, has_schedulers: bool) -> None:
    """Fail unless ``checkpoint`` holds the training state that an exact resume needs
    (iteration, optimizer, schedulers) and ``train_cfg`` has iterations left after it."""
    state = safe_load(checkpoint)
    meta = state.get('meta') if isinstance(state, dict) else None
    fresh = (f'start a new training from these weights with load_from={checkpoint} and '
             'without --resume')
    if not isinstance(meta, dict) or 'iter' not in meta:
        raise CheckpointError(f'cannot resume from {checkpoint}: it holds weights only, no '
                              f'training state (iteration, optimizer, schedulers); {fresh}')
    missing = [name for name, key in (('optimizer', 'optimizer'),
                                      ('learning-rate scheduler', 'param_schedulers'))
               if key not in state and (key == 'optimizer' or has_schedulers)]
    if missing:
        raise CheckpointError(
            f'cannot resume from {checkpoint}: it holds no {" and no ".join(missing)} state '
            '(best_*.pth checkpoints keep weights only), so the learning rate and momentum '
            f'would start over; resume from an iter_N.pth of the run, or {fresh}')
    for unit, limit in (('iter', 'max_iters'), ('epoch', 'max_epochs')):
        done, total = meta.get(unit), train_cfg.get(limit)
        if isinstance(done, int) and isinstance(total, int) and done >= total:
            raise ConfigError(f'cannot resume from {checkpoint}: it was saved at {unit} {done} '
                              f'and train_cfg.{limit} is {total}, so nothing is left to train; '
                              f'set train_cfg.{limit} above {done} to train longer')


def check_same_model(saved: Optional[dict], current: Optional[dict],
                     checkpoint: Optional[str]) -> None:
    """Fail when a resumed checkpoint was trained with another model config.

    ``saved`` and ``current`` are plain data (:func:`segkit.checkpoint.plain.plain_cfg`);
    keys in :data:`~segkit.checkpoint.keys.TRAINING_NEUTRAL_KEYS` may differ.
    """
    if saved is None or current is None:
        return
    diffs = _differences(saved, current, 'model')
    if diffs:
        shown = '; '.join(diffs[:3]) + (f' (+{len(diffs) - 3} more)' if len(diffs) > 3 else '')
        source = checkpoint or 'the latest checkpoint'
        raise ConfigError(f'cannot resume from {source}: the model config differs from the one '
                          f'it was trained with ({shown}). Resume with the same model, or start '
                          f'a new training from these weights with load_from={source} and '
                          'without --resume')


def _differences(saved, current, path: str) -> list:
    if isinstance(saved, dict) and isinstance(current, dict):
        diffs = []
        for key in sorted(set(saved) | set(current), key=str):
            if key in TRAINING_NEUTRAL_KEYS:
                continue
            diffs += _differences(saved.get(key, '<unset>'), current.get(key, '<unset>'),
                                  f'{path}.{key}')
        return diffs
    if isinstance(saved, (list, tuple)) and isinstance(current, (list, tuple)) \
            and len(saved) == len(current):  # a list saved and a tuple now are the same
        return [d for i, (s, c) in enumerate(zip(saved, current))
                for d in _differences(s, c, f'{path}[{i}]')]
    if saved != current:
        return [f'{path} was {saved!r}, now {current!r}']
    return []


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named by ``work_dir/last_checkpoint`` if it is in ``work_dir``, else
    the ``iter_<n>.pth`` in ``work_dir`` with the largest ``n``, else None.

    ``last_checkpoint`` holds the absolute path it was written with; only its file name is
    used, looked up in ``work_dir``, so a work dir copied or moved elsewhere resumes from
    its own files, not from the original's. A work dir whose listed checkpoint was deleted,
    or whose ``last_checkpoint`` is missing, resumes from what it holds instead of failing
    to load or starting from scratch.
    """
    listing = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(listing):
        with open(listing) as f:
            listed = osp.join(work_dir, osp.basename(f.read().strip()))
        if osp.isfile(listed):
            return listed
    found = {}
    for name in os.listdir(work_dir) if osp.isdir(work_dir) else []:
        match = CHECKPOINT_NAME.fullmatch(name)
        if match:
            found[int(match.group(1))] = osp.join(work_dir, name)
    return found[max(found)] if found else None
