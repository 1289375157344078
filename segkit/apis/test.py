"""Testing entry point behind tools/test.py."""
import inspect
from typing import Optional

from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from segkit.deploy import deployed_model_cfg, is_deployed_model
from segkit.registry import METRICS
from segkit.checkpoint import load_model_weights
from segkit.utils.errors import ConfigError

from .optimize import FAST, optimize_for_inference
from .runner_cfg import check_num_classes, prepare_cfg


def run_test(config: str, checkpoint: str, work_dir: Optional[str] = None,
             show_dir: Optional[str] = None, out: Optional[str] = None,
             cfg_options: Optional[dict] = None, launcher: str = 'none',
             format_only: bool = False, out_dir: Optional[str] = None, tta: bool = False,
             precision: Optional[str] = None, channels_last: bool = False,
             fuse_conv_bn: bool = False, compile: bool = False, fast: bool = False,
             backend: str = 'onnxruntime') -> dict:
    """Evaluate ``checkpoint`` on the config's test set; returns the metrics.

    Args:
        config: config file path.
        checkpoint: weights to test; every model key must be present. Or an exported
            ``.onnx`` model (:mod:`segkit.deploy`), run by ``backend`` through the same
            data pipeline, test mode (whole or slide) and metrics.
        work_dir: where the log goes.
        show_dir: save image / ground truth / prediction side by side here.
        out: save predicted class maps (palette PNGs) here.
        cfg_options: ``{dotted.key: value}`` overrides.
        launcher: 'none', 'pytorch' (under torchrun) or 'slurm' (under srun).
        format_only: only write the test evaluator's results files (e.g. a Cityscapes
            test-set submission), no evaluation; needs ``out_dir``.
        out_dir: the test evaluator's ``output_dir`` (results files are kept there).
        tta: test-time augmentation: the config's ``tta_pipeline`` (scales and flips) and
            ``tta_model`` (averages the views' probabilities).
        precision: 'fp32' (default), 'auto' (the mixed precision this device runs natively,
            else fp32), 'bf16' or 'fp16' (autocast even where emulated, with a warning).
        channels_last: weights and input images in NHWC layout.
        fuse_conv_bn: fold BatchNorm into the conv before it.
        compile: ``torch.compile`` the logits computation.
        fast: the fastest mode that keeps the accuracy on this device: precision 'auto'
            (unless ``precision`` is given), channels-last and BN folded.
        backend: runtime of a ``.onnx`` model: 'onnxruntime' or 'openvino'.
    """
    cfg = prepare_cfg(config, work_dir=work_dir, cfg_options=cfg_options, launcher=launcher)
    cfg.load_from = None
    cfg.resume = False
    deployed = is_deployed_model(checkpoint)
    if deployed:
        _use_deployed_model(cfg, config, checkpoint, backend,
                            tta=tta, precision=precision, fast=fast, channels_last=channels_last,
                            fuse_conv_bn=fuse_conv_bn, compile=compile)
    if fast:
        precision = precision or FAST['precision']
        channels_last = channels_last or FAST['channels_last']
        fuse_conv_bn = fuse_conv_bn or FAST['fuse_conv_bn']
    if tta:
        _use_tta(cfg, config)
    if format_only or out_dir is not None:
        cfg.test_evaluator = _set_output(cfg.test_evaluator, config, format_only, out_dir)
    cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [dict(type='ProgressBarHook')]
    if show_dir is not None or out is not None:
        cfg.custom_hooks.append(dict(type='SavePredictionsHook', out_dir=out, show_dir=show_dir))
    runner = Runner.from_cfg(cfg)
    check_num_classes(runner.model, runner.test_dataloader, 'test_dataloader')
    if deployed:
        return runner.test()
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    load_model_weights(model.module if tta else model, checkpoint)
    optimize_for_inference(model.module if tta else model, fuse_conv_bn=fuse_conv_bn,
                           channels_last=channels_last, compile=compile,
                           precision=precision or 'fp32')
    return runner.test()


def _use_deployed_model(cfg, config: str, model_file: str, backend: str, **options) -> None:
    """Replace the config's segmentor by the exported ``model_file`` run by ``backend``."""
    flags = [f"--{name.replace('_', '-')}" for name, value in options.items() if value]
    if flags:
        raise ConfigError(f"{' '.join(flags)}: not for an exported model ({model_file}); its "
                          'runtime sets its own precision and layout')
    if cfg.get('launcher', 'none') != 'none':
        raise ConfigError(f'{model_file}: an exported model is tested in one process '
                          '(--launcher none)')
    cfg.model = deployed_model_cfg(cfg, model_file, backend, config_name=config)


def _use_tta(cfg, config: str) -> None:
    """Test with ``tta_pipeline`` and wrap the model in ``tta_model``, as MMSegmentation does."""
    for key in ('tta_model', 'tta_pipeline'):
        if not cfg.get(key):
            raise ConfigError(f'--tta: {config} has no {key} (the dataset base configs under '
                              'configs/_base_/datasets define tta_pipeline, default_runtime.py '
                              'tta_model)')
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    cfg.model = dict(cfg.tta_model, module=cfg.model)


def _set_output(evaluator, config: str, format_only: bool, out_dir: Optional[str]):
    """Set ``format_only`` and ``output_dir`` on each metric of the test evaluator."""
    if format_only and not out_dir:
        raise ConfigError('--format-only needs --out-dir (where the results files go)')
    metrics = evaluator.get('metrics', evaluator) if isinstance(evaluator, dict) else evaluator
    metrics = [metrics] if isinstance(metrics, dict) else list(metrics)
    for metric in metrics:
        metric_type = metric['type']
        cls = metric_type if inspect.isclass(metric_type) else METRICS.get(metric_type)
        params = inspect.signature(cls).parameters
        if 'format_only' not in params or 'output_dir' not in params:
            raise ConfigError(f'--format-only/--out-dir: test_evaluator {cls.__name__} of '
                              f'{config} writes no results files; use one that does '
                              "(test_evaluator=dict(type='CityscapesMetric'))")
        metric.update(format_only=format_only, output_dir=out_dir)
    return evaluator
