"""Training entry point behind tools/train.py."""
from typing import Optional

from mmengine.runner import Runner

from .runner_cfg import prepare_cfg


def run_train(config: str, work_dir: Optional[str] = None, resume: Optional[str] = None,
          amp: bool = False, cfg_options: Optional[dict] = None,
          launcher: str = 'none') -> Runner:
    """Train the model of ``config``; returns the finished Runner.

    Args:
        config: config file path.
        work_dir: where logs and checkpoints go (default ``work_dirs/<config name>``).
        resume: 'auto' for the latest checkpoint in ``work_dir``, a checkpoint path, or None.
        amp: mixed precision (bf16 autocast on CPU and recent GPUs, fp16 + loss scaling
            otherwise).
        cfg_options: ``{dotted.key: value}`` overrides.
        launcher: 'none' or 'pytorch' (under torchrun).
    """
    cfg = prepare_cfg(config, work_dir=work_dir, cfg_options=cfg_options, launcher=launcher)
    if amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
    if resume is not None:
        cfg.resume = True
        cfg.load_from = None if resume == 'auto' else resume
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner
