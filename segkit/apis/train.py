"""Training entry point behind tools/train.py."""
import contextlib
import fcntl
import os
import os.path as osp
import re
import socket
import time
from typing import Optional

from mmengine.logging import print_log
from mmengine.runner import Runner

from segkit.checkpoint import check_resumable, latest_checkpoint
from segkit.utils.errors import CheckpointError, ConfigError

from .runner_cfg import check_num_classes, prepare_cfg

# What a training writes into its work dir that a new training would overwrite.
EARLIER_RUN = re.compile(r'(iter|epoch)_\d+\.pth|best_.*\.pth|last_checkpoint')
LOCK_FILE = '.lock'
# Lock files held by this process: closed in forked children (data-loader workers), so a
# crashed training's surviving workers do not keep holding its work dir.
_HELD_LOCKS = []
os.register_at_fork(after_in_child=lambda: [lock.close() for lock in _HELD_LOCKS])
# Where --overwrite moves the files of the training it replaces, inside the work dir.
OVERWRITTEN = 'overwritten_'


def run_train(config: str, work_dir: Optional[str] = None, resume: Optional[str] = None,
              amp: bool = False, channels_last: bool = False,
              cfg_options: Optional[dict] = None, launcher: str = 'none',
              auto_scale_lr: bool = False, overwrite: bool = False) -> Runner:
    """Train the model of ``config``; returns the finished Runner.

    The work dir is locked while training (``WORK_DIR/.lock``), so a second training
    there stops at start, and a new training (without ``resume``) stops when the work dir
    holds an earlier run's checkpoints, unless ``overwrite``.

    Args:
        config: config file path.
        work_dir: where logs and checkpoints go (default ``work_dirs/<config name>``).
        resume: 'auto' for the latest checkpoint in ``work_dir`` (training starts from
            scratch when there is none), a checkpoint path, or None. Resuming continues
            at the checkpoint's iteration with its optimizer, schedulers, random generator
            states and data position; the model config must be unchanged.
        amp: mixed precision where the device runs it natively (``AmpOptimWrapper`` with
            the policy of :mod:`segkit.utils.precision`): bf16 autocast on CPUs with
            AVX512-BF16/AMX and GPUs >= 8.0, fp16 + loss scaling on older GPUs, fp32 on CPUs
            that would emulate bf16.
        channels_last: the model in channels-last layout (``model.channels_last=True``).
        cfg_options: ``{dotted.key: value}`` overrides.
        launcher: 'none', 'pytorch' (under torchrun) or 'slurm' (under srun).
        auto_scale_lr: scale the learning rate by the actual total batch over the recipe's
            (``auto_scale_lr.base_batch_size`` in the config), as mmengine's Runner does;
            gradient accumulation counts in the actual batch.
        overwrite: start a new training in a work dir that holds an earlier one's
            checkpoints: its files move into ``WORK_DIR/overwritten_<time>/`` first (logged),
            so the work dir then holds the new training's files only. Refused with
            ``resume``, which continues the earlier training instead.

    The recipe's total batch and the actual one are logged at start.
    """
    if overwrite and resume is not None:
        raise ConfigError('--resume and --overwrite contradict each other: --resume continues '
                          'the training in the work dir, --overwrite starts a new one in its '
                          'place; give one of them')
    if channels_last:  # validated and saved with the config, like any option
        cfg_options = {**(cfg_options or {}), 'model.channels_last': True}
    cfg = prepare_cfg(config, work_dir=work_dir, cfg_options=cfg_options, launcher=launcher)
    if amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
    if auto_scale_lr:
        cfg.auto_scale_lr = dict(cfg.get('auto_scale_lr') or {}, enable=True)
    recipe_batch = _recipe_batch(cfg, config)
    scales_lr = recipe_batch is not None and cfg.auto_scale_lr.get('enable', False)
    asked_to_resume = resume is not None
    if resume == 'auto':
        resume = latest_checkpoint(cfg.work_dir)
        if resume is None:
            print_log(f'--resume: no checkpoint in {cfg.work_dir}, training from scratch',
                      logger='current')
    elif resume is not None and not osp.isfile(resume):
        raise CheckpointError(f'--resume: checkpoint not found: {resume}')
    with _work_dir_lock(cfg.work_dir):
        if resume is not None:
            check_resumable(resume, cfg.train_cfg, has_schedulers=bool(cfg.get('param_scheduler')))
            cfg.resume = True
            cfg.load_from = resume
        elif overwrite:
            _move_earlier_run(cfg.work_dir)
        else:
            _check_no_earlier_run(cfg.work_dir, asked_to_resume)
        runner = Runner.from_cfg(cfg)
        accumulation = cfg.optim_wrapper.get('accumulative_counts', 1)
        print_log(total_batch_message(runner.world_size, cfg.train_dataloader.batch_size,
                                      accumulation, recipe_batch, scales_lr),
                  logger='current')
        if scales_lr and accumulation > 1:  # mmengine's ratio leaves it out: fold it in
            runner.auto_scale_lr = dict(enable=True,
                                        base_batch_size=recipe_batch / accumulation)
        check_num_classes(runner.model, runner.train_dataloader, 'train_dataloader')
        if runner.val_loop is not None:
            check_num_classes(runner.model, runner.val_dataloader, 'val_dataloader')
        runner.train()
    return runner


def total_batch_message(world_size: int, batch_size: int, accumulation: int,
                        recipe_batch: Optional[int], scaled: bool) -> str:
    """The line logged at start: the actual total batch against the recipe's."""
    total = world_size * batch_size * accumulation
    parts = [f'{world_size} process{"es" if world_size > 1 else ""}',
             f'{batch_size} image{"s" if batch_size > 1 else ""}']
    if accumulation > 1:
        parts.append(f'{accumulation} accumulated iterations')
    actual = f'total batch {total} ({" x ".join(parts)})'
    if recipe_batch is None:
        return f'{actual}; the config states no recipe batch (auto_scale_lr.base_batch_size)'
    if total == recipe_batch:
        return f"{actual}, the recipe's"
    ratio = f'{total}/{recipe_batch} = {total / recipe_batch:.4g}'
    if scaled:
        return (f"{actual}; the recipe's is {recipe_batch}: --auto-scale-lr scales the LR "
                f'by {ratio}')
    return (f"{actual}; the recipe's is {recipe_batch} (auto_scale_lr.base_batch_size): the "
            f'LR stays as configured; --auto-scale-lr would scale it by {ratio}')


def _recipe_batch(cfg, config: str) -> Optional[int]:
    """``auto_scale_lr.base_batch_size`` of the config, checked, or None."""
    settings = cfg.get('auto_scale_lr') or {}
    value = settings.get('base_batch_size')
    if value is None and settings.get('enable', False):
        raise ConfigError(f'--auto-scale-lr (auto_scale_lr.enable): {config} states no recipe '
                          'batch; add auto_scale_lr = dict(base_batch_size=N), the total '
                          'batch its learning rate is for')
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ConfigError(f'{config}: auto_scale_lr.base_batch_size={value!r}: expected the '
                          'total batch of the recipe, a whole number >= 1')
    return value


def _check_no_earlier_run(work_dir: str, asked_to_resume: bool) -> None:
    """Fail when ``work_dir`` holds checkpoints that a new training would overwrite."""
    earlier = sorted(n for n in os.listdir(work_dir) if EARLIER_RUN.fullmatch(n))
    if earlier:
        shown = ', '.join(earlier[:3]) + (f' (+{len(earlier) - 3} more)' if len(earlier) > 3
                                          else '')
        options = ('none to resume from (iter_N.pth); train over it' if asked_to_resume
                   else 'continue it with --resume, train over it')
        raise ConfigError(f'work dir {work_dir} holds the checkpoints of an earlier training '
                          f'({shown}), {options} with --overwrite, or choose another '
                          '--work-dir')


def _move_earlier_run(work_dir: str) -> None:
    """Move everything an earlier training left in ``work_dir`` (checkpoints, logs, config
    copy) into a new ``work_dir/overwritten_<time>/`` and log what moved where.

    Folders made by earlier ``--overwrite`` runs and the lock stay.
    """
    earlier = sorted(n for n in os.listdir(work_dir)
                     if n != LOCK_FILE and not n.startswith(OVERWRITTEN))
    if not earlier:
        return
    aside = osp.join(work_dir, OVERWRITTEN + time.strftime('%Y%m%d_%H%M%S'))
    suffix = 1
    while osp.exists(aside if suffix == 1 else f'{aside}_{suffix}'):
        suffix += 1
    aside = aside if suffix == 1 else f'{aside}_{suffix}'
    os.mkdir(aside)
    for name in earlier:
        os.rename(osp.join(work_dir, name), osp.join(aside, name))
    checkpoints = [n for n in earlier if EARLIER_RUN.fullmatch(n)]
    shown = ', '.join(checkpoints[:4]) + (f' (+{len(checkpoints) - 4} more)'
                                         if len(checkpoints) > 4 else '')
    print_log(f'--overwrite: moved the earlier training\'s {len(earlier)} files and folders '
              f'({shown or "no checkpoints"}) to {aside}; delete it when you no longer need '
              'them', logger='current')


@contextlib.contextmanager
def _work_dir_lock(work_dir: str):
    """Hold an exclusive lock on ``work_dir`` (rank 0 only) while training.

    The lock is an ``flock`` on ``WORK_DIR/.lock``, released by the kernel when the process
    ends in any way, so a killed training never leaves a stale lock behind. Forked children
    (data-loader workers) close their copy, so workers that outlive a crashed training do
    not hold the lock.
    """
    if int(os.environ.get('RANK', 0)) != 0:
        yield
        return
    with open(osp.join(work_dir, LOCK_FILE), 'a+') as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            owner = lock.read().strip() or 'another process'
            raise ConfigError(f'work dir {work_dir} is in use by another training ({owner}); '
                              'wait for it to end, or choose another --work-dir') from None
        lock.truncate(0)
        lock.write(f'pid {os.getpid()} on {socket.gethostname()}\n')
        lock.flush()
        _HELD_LOCKS.append(lock)
        try:
            yield
        finally:
            _HELD_LOCKS.remove(lock)
            fcntl.flock(lock, fcntl.LOCK_UN)
