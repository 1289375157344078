"""Inference speed options: fold BN, channels-last memory layout, torch.compile."""
import torch
from torch import nn

from segkit.models.utils import fuse_conv_bn as fold_bn, to_channels_last


def optimize_for_inference(model: nn.Module, fuse_conv_bn: bool = False,
                           channels_last: bool = False, compile: bool = False) -> nn.Module:
    """Set a segmentor up for fast inference, in place; returns it in eval mode.

    Call it after the weights are loaded. bf16/fp16 autocast is not set here: the test
    loop's ``fp16=True`` (``tools/test.py --bf16``) runs the model under autocast.

    Args:
        model: an ``EncoderDecoder``-like segmentor (has ``backbone`` and ``encode_decode``).
        fuse_conv_bn: fold BatchNorm's running statistics into the conv before it
            (:func:`segkit.models.utils.fuse_conv_bn`); the model can no longer be trained.
        channels_last: weights and the backbone's input in NHWC layout (faster convs
            with oneDNN on CPU and tensor cores on GPU).
        compile: ``torch.compile`` the logits computation (``encode_decode``); the first
            batch of each new input size pays the compilation.
    """
    model.eval()
    if fuse_conv_bn:
        fold_bn(model)
    if channels_last:
        to_channels_last(model)
    if compile:
        model.encode_decode = torch.compile(model.encode_decode)
    return model
