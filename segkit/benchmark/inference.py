"""Inference speed of a config's model in several execution modes, and the framework overhead."""
import copy
from typing import Dict, List, Sequence

import torch

from segkit.apis.optimize import SpeedOptions, optimize_for_inference, resolve_speed_options
from segkit.utils.precision import native_precision

from .timing import format_table, interleaved_times


def _mode(name: str) -> SpeedOptions:
    """The speed options a mode name such as 'bf16+channels_last+fold_bn' spells."""
    precision, *flags = name.split('+')
    return resolve_speed_options(precision=precision, **{flag: True for flag in flags})


INFERENCE_MODES = {name: _mode(name) for name in (
    'fp32', 'fp32+channels_last', 'fp32+channels_last+fold_bn',
    'fp32+channels_last+fold_bn+compile', 'bf16', 'bf16+channels_last',
    'bf16+channels_last+fold_bn', 'bf16+channels_last+fold_bn+compile')}


def select_modes(names: Sequence[str], device) -> List[str]:
    """``names`` with 'all' expanded to every mode and 'auto' to the modes worth timing on
    ``device``: the fp32 ones, and the bf16 ones only where the device runs bf16 natively
    (elsewhere it is emulated, many times slower than fp32)."""
    native_bf16 = native_precision(device).dtype is torch.bfloat16
    auto = [name for name, mode in INFERENCE_MODES.items()
            if native_bf16 or mode.precision == 'fp32']
    groups = dict(all=list(INFERENCE_MODES), auto=auto)
    selected = []
    for name in names:
        selected += [mode for mode in groups.get(name, [name]) if mode not in selected]
    return selected


def prepare_model(model: torch.nn.Module, mode: str) -> torch.nn.Module:
    """A copy of ``model`` set up for one of :data:`INFERENCE_MODES` by
    :func:`segkit.apis.optimize.optimize_for_inference`, as testing and inference do."""
    return optimize_for_inference(copy.deepcopy(model), **INFERENCE_MODES[mode]._asdict())


def benchmark_inference(model: torch.nn.Module, shape: Sequence[int], batch_size: int = 1,
                        modes: Sequence[str] = tuple(INFERENCE_MODES), rounds: int = 5,
                        device: str = 'cpu') -> Dict[str, dict]:
    """Time ``model`` (the bare forward, 'tensor' mode) in each mode, plus segkit's predict path.

    Returns ``{name: dict(latency_s, images_per_s, ratio)}`` where ``ratio`` is the speed
    relative to plain fp32 NCHW; the entry 'predict_overhead' compares the full predict path
    (preprocess, forward, resize to the image size, argmax) with the bare fp32 forward.
    """
    device = torch.device(device)
    modes = ['fp32', *(m for m in modes if m != 'fp32')]  # the baseline of the ratios
    model = model.to(device).eval()
    images = torch.randint(0, 256, (batch_size, 3, *shape), dtype=torch.uint8, device=device)
    inputs = model.data_preprocessor(dict(inputs=list(images)))['inputs']
    variants = {}
    for mode in modes:
        def run(prepared=prepare_model(model, mode)):
            with torch.no_grad():
                return prepared(inputs, mode='tensor')
        variants[mode] = run

    def predict():
        with torch.no_grad():
            data = model.data_preprocessor(dict(inputs=list(images)))
            return model(data['inputs'], data.get('data_samples'), mode='predict')
    variants['predict_path'] = predict
    times = interleaved_times(variants, rounds=rounds, warmup=2)
    base = times['fp32']
    results = {name: dict(latency_s=t, images_per_s=batch_size / t, ratio=base / t)
               for name, t in times.items() if name != 'predict_path'}
    results['predict_overhead'] = dict(latency_s=times['predict_path'],
                                       images_per_s=batch_size / times['predict_path'],
                                       ratio=times['predict_path'] / base)
    return results


def inference_table(results: Dict[str, dict]) -> str:
    rows = [(name, f"{r['latency_s'] * 1000:.1f}", f"{r['images_per_s']:.2f}",
             f"{r['ratio']:.2f}x") for name, r in results.items() if name != 'predict_overhead']
    overhead = results['predict_overhead']
    return (format_table(rows, ('mode', 'latency ms', 'images/s', 'speed vs fp32')) +
            f"\npredict path (preprocess+forward+resize+argmax) / bare fp32 forward: "
            f"{overhead['ratio']:.3f}")
