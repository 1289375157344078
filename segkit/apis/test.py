"""Testing entry point behind tools/test.py."""
from typing import Optional

from mmengine.runner import Runner

from segkit.engine.checkpoint import load_model_weights

from .runner_cfg import prepare_cfg


def run_test(config: str, checkpoint: str, work_dir: Optional[str] = None,
         show_dir: Optional[str] = None, out: Optional[str] = None,
         cfg_options: Optional[dict] = None, launcher: str = 'none') -> dict:
    """Evaluate ``checkpoint`` on the config's test set; returns the metrics.

    Args:
        config: config file path.
        checkpoint: weights to test; every model key must be present.
        work_dir: where the log goes.
        show_dir: save image / ground truth / prediction side by side here.
        out: save predicted class maps (palette PNGs) here.
        cfg_options: ``{dotted.key: value}`` overrides.
        launcher: 'none' or 'pytorch' (under torchrun).
    """
    cfg = prepare_cfg(config, work_dir=work_dir, cfg_options=cfg_options, launcher=launcher)
    cfg.load_from = None
    cfg.resume = False
    if show_dir is not None or out is not None:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(type='SavePredictionsHook', out_dir=out, show_dir=show_dir)]
    runner = Runner.from_cfg(cfg)
    load_model_weights(runner.model, checkpoint)
    return runner.test()
