"""Speed options (precision, fast, channels-last, BN folding, torch.compile): resolved by one
function with one precedence, applied to a segmentor for inference."""
import functools
from typing import List, NamedTuple, Optional

import torch
from torch import nn

from segkit.models.utils import fold_bn as fold_batch_norm, to_channels_last
from segkit.utils.errors import ConfigError
from segkit.utils.precision import log_precision, resolve_precision


class SpeedOptions(NamedTuple):
    """Resolved speed options; see :func:`optimize_for_inference` for what each does."""
    precision: str = 'fp32'  # 'fp32', 'auto', 'bf16' or 'fp16'
    channels_last: bool = False
    fold_bn: bool = False
    compile: bool = False


# ``fast``: the fastest options that keep the accuracy on every device
FAST = SpeedOptions(precision='auto', channels_last=True, fold_bn=True)


def resolve_speed_options(precision: Optional[str] = None, fast: bool = False,
                          channels_last: bool = False, fold_bn: bool = False,
                          compile: bool = False) -> SpeedOptions:
    """The speed options of a run: what is given explicitly wins, ``fast`` fills the rest.

    Used by training, ``tools/test.py``, :func:`segkit.apis.init_model` and the inference
    benchmark. ``fast`` switches channels-last and BN folding on and sets the precision
    to :data:`FAST`'s ('auto') only where ``precision`` is None, so ``--fast --precision
    fp32`` runs fp32, channels-last and BN folded. Without ``fast`` the precision is fp32.
    ``compile`` is never implied.
    """
    default = FAST if fast else SpeedOptions()
    return SpeedOptions(precision=precision or default.precision,
                        channels_last=channels_last or default.channels_last,
                        fold_bn=fold_bn or default.fold_bn, compile=compile)


def refuse_for_exported_model(model_file: str, **requested) -> None:
    """Fail when any of ``requested`` (``name=value``, e.g. ``fast=True``, ``tta=True``;
    a precision other than None or 'fp32') is set for an exported model, whose runtime
    sets its own precision and layout."""
    given: List[str] = [f"--{name.replace('_', '-')}" for name, value in requested.items()
                        if value and not (name == 'precision' and value == 'fp32')]
    if given:
        raise ConfigError(f"{' '.join(given)}: not for an exported model ({model_file}); its "
                          'runtime sets its own precision and layout')


def optimize_for_inference(model: nn.Module, fold_bn: bool = False,
                           channels_last: bool = False, compile: bool = False,
                           precision: str = 'fp32') -> nn.Module:
    """Set a segmentor up for fast inference, in place; returns it in eval mode.

    Call it after the weights are loaded and the model is on its device; the options
    usually come from :func:`resolve_speed_options` (``**options._asdict()``).

    Args:
        model: a segmentor with a ``backbone`` (:class:`segkit.models.BaseSegmentor`).
        fold_bn: fold BatchNorm's running statistics into the conv before it
            (:func:`segkit.models.utils.fold_bn`); the model can no longer be trained.
        channels_last: weights and the backbone's input in NHWC layout (faster convs
            with oneDNN on CPU and tensor cores on GPU).
        compile: ``torch.compile`` the model call (``encode_decode``); the first
            batch of each new input size pays the compilation.
        precision: 'fp32'; 'auto' for the mixed precision the device runs natively (bf16 on
            CPUs with AVX512-BF16/AMX and GPUs >= 8.0, fp16 on older GPUs, else fp32); or
            'bf16'/'fp16', which run even where emulated (with a warning). The model call
            runs under autocast; see :mod:`segkit.utils.precision`.
    """
    model.eval()
    if fold_bn:
        fold_batch_norm(model)
    if channels_last:
        to_channels_last(model)
    if compile:
        model.encode_decode = torch.compile(model.encode_decode)
    if precision != 'fp32':
        device = next(model.parameters()).device
        decision = resolve_precision(device, precision)
        log_precision(decision, device, precision, what='inference precision')
        if decision.dtype is not None:
            model.encode_decode = _autocast(model.encode_decode, device.type, decision.dtype)
    return model


def _autocast(function, device_type: str, dtype: torch.dtype):
    """``function`` run under ``torch.autocast(device_type, dtype)``."""
    @functools.wraps(function)
    def run(*args, **kwargs):
        with torch.autocast(device_type=device_type, dtype=dtype):
            return function(*args, **kwargs)
    return run
