"""Training entry point behind tools/train.py."""
import os
import os.path as osp
import re
from typing import Optional

from mmengine.logging import print_log
from mmengine.runner import Runner

from segkit.utils.errors import CheckpointError

from .runner_cfg import check_num_classes, prepare_cfg

CHECKPOINT_NAME = re.compile(r'iter_(\d+)\.pth')


def run_train(config: str, work_dir: Optional[str] = None, resume: Optional[str] = None,
              amp: bool = False, channels_last: bool = False,
              cfg_options: Optional[dict] = None, launcher: str = 'none') -> Runner:
    """Train the model of ``config``; returns the finished Runner.

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
        launcher: 'none' or 'pytorch' (under torchrun).
    """
    if channels_last:  # validated and saved with the config, like any option
        cfg_options = {**(cfg_options or {}), 'model.channels_last': True}
    cfg = prepare_cfg(config, work_dir=work_dir, cfg_options=cfg_options, launcher=launcher)
    if amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
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
    check_num_classes(runner.model, runner.train_dataloader, 'train_dataloader')
    if runner.val_loop is not None:
        check_num_classes(runner.model, runner.val_dataloader, 'val_dataloader')
    runner.train()
    return runner


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
