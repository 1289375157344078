"""Training entry point behind tools/train.py."""
import os
import os.path as osp
import re
from typing import Optional

from mmengine.logging import print_log
from mmengine.runner import Runner

from segkit.utils.errors import CheckpointError, ConfigError

from .runner_cfg import check_num_classes, prepare_cfg

CHECKPOINT_NAME = re.compile(r'iter_(\d+)\.pth')


def run_train(config: str, work_dir: Optional[str] = None, resume: Optional[str] = None,
              amp: bool = False, channels_last: bool = False,
              cfg_options: Optional[dict] = None, launcher: str = 'none',
              auto_scale_lr: bool = False) -> Runner:
    """Train the model of ``config``; returns the finished Runner.

    Args:
        config: config file path.
        work_dir: where logs and checkpoints go (default ``work_dirs/<config name>``).
        resume: 'auto' for the latest checkpoint in ``work_dir`` (training starts from
            scratch when there is none), a checkpoint path, or None. Resuming continues
            at the checkpoint's iteration with its optimizer, schedulers, random generator
            states and data position; the model config must be unchanged.
        amp: mixed precision (bf16 autocast on CPU and recent GPUs, fp16 + loss scaling
            otherwise).
        channels_last: the model in channels-last layout (``model.channels_last=True``).
        cfg_options: ``{dotted.key: value}`` overrides.
        launcher: 'none', 'pytorch' (under torchrun) or 'slurm' (under srun).
        auto_scale_lr: scale the learning rate by the actual total batch over the recipe's
            (``auto_scale_lr.base_batch_size`` in the config), as mmengine's Runner does;
            gradient accumulation counts in the actual batch.

    The recipe's total batch and the actual one are logged at start.
    """
    if channels_last:  # validated and saved with the config, like any option
        cfg_options = {**(cfg_options or {}), 'model.channels_last': True}
    cfg = prepare_cfg(config, work_dir=work_dir, cfg_options=cfg_options, launcher=launcher)
    if amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
    if auto_scale_lr:
        cfg.auto_scale_lr = dict(cfg.get('auto_scale_lr') or {}, enable=True)
    recipe_batch = _recipe_batch(cfg, config)
    auto_scale_lr = recipe_batch is not None and cfg.auto_scale_lr.get('enable', False)
    if resume == 'auto':
        resume = latest_checkpoint(cfg.work_dir)
        if resume is None:
            print_log(f'--resume: no checkpoint in {cfg.work_dir}, training from scratch',
                      logger='current')
    elif resume is not None and not osp.isfile(resume):
        raise CheckpointError(f'--resume: checkpoint not found: {resume}')
    if resume is not None:
        cfg.resume = True
        cfg.load_from = resume
    runner = Runner.from_cfg(cfg)
    accumulation = cfg.optim_wrapper.get('accumulative_counts', 1)
    print_log(total_batch_message(runner.world_size, cfg.train_dataloader.batch_size,
                                  accumulation, recipe_batch, auto_scale_lr), logger='current')
    if auto_scale_lr and accumulation > 1:  # mmengine's ratio leaves it out: fold it in
        runner.auto_scale_lr = dict(enable=True, base_batch_size=recipe_batch / accumulation)
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


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named by ``work_dir/last_checkpoint`` if it exists, else the
    ``iter_<n>.pth`` in ``work_dir`` with the largest ``n``, else None."""
    listing = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(listing):
        with open(listing) as f:
            listed = f.read().strip()
        if osp.isfile(listed):
            return listed
    found = {}
    for name in os.listdir(work_dir) if osp.isdir(work_dir) else []:
        match = CHECKPOINT_NAME.fullmatch(name)
        if match:
            found[int(match.group(1))] = osp.join(work_dir, name)
    return found[max(found)] if found else None
