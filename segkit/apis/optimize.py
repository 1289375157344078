"""Inference speed options: precision, fold BN, channels-last memory layout, torch.compile."""
import functools

import torch
from torch import nn

from segkit.models.utils import fuse_conv_bn as fold_bn, to_channels_last
from segkit.utils.precision import log_precision, resolve_precision

# tools/test.py --fast and init_model(fast=True): what keeps the accuracy on every device
FAST = dict(precision='auto', fuse_conv_bn=True, channels_last=True)


def optimize_for_inference(model: nn.Module, fuse_conv_bn: bool = False,
                           channels_last: bool = False, compile: bool = False,
                           precision: str = 'fp32') -> nn.Module:
    """Set a segmentor up for fast inference, in place; returns it in eval mode.

    Call it after the weights are loaded and the model is on its device.

    Args:
        model: an ``EncoderDecoder``-like segmentor (has ``backbone`` and ``encode_decode``).
        fuse_conv_bn: fold BatchNorm's running statistics into the conv before it
            (:func:`segkit.models.utils.fuse_conv_bn`); the model can no longer be trained.
        channels_last: weights and the backbone's input in NHWC layout (faster convs
            with oneDNN on CPU and tensor cores on GPU).
        compile: ``torch.compile`` the logits computation (``encode_decode``); the first
            batch of each new input size pays the compilation.
        precision: 'fp32'; 'auto' for the mixed precision the device runs natively (bf16 on
            CPUs with AVX512-BF16/AMX and GPUs >= 8.0, fp16 on older GPUs, else fp32); or
            'bf16'/'fp16', which run even where emulated (with a warning). The logits
            computation runs under autocast; see :mod:`segkit.utils.precision`.
    """
    model.eval()
    if fuse_conv_bn:
        fold_bn(model)
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
