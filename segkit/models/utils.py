"""Small tensor helpers shared by models."""
import copy
from typing import MutableMapping, Sequence

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.utils.fusion import fuse_conv_bn_weights


def resize(x: torch.Tensor, size: Sequence[int], align_corners: bool = False,
           mode: str = 'bilinear') -> torch.Tensor:
    """Resize a ``(N, C, H, W)`` tensor to ``size``; a no-op when the size already matches."""
    if tuple(x.shape[2:]) == tuple(size):
        return x
    if mode == 'nearest':
        return F.interpolate(x, size=tuple(size), mode='nearest')
    return F.interpolate(x, size=tuple(size), mode=mode, align_corners=align_corners)


def class_argmax(logits: torch.Tensor, dim: int) -> torch.Tensor:
    """``logits.argmax(dim)`` computed with ``max`` (on CPU both pick the first index on
    ties), which CPUs run much faster over the strided class dim of ``(N, C, H, W)``
    logits (README, Benchmarks)."""
    return logits.max(dim=dim).indices


def seg_labels(logits: torch.Tensor, dim: int, threshold: float = 0.5) -> torch.Tensor:
    """Class indices from logits: the argmax over ``dim``; for one channel (binary
    segmentation with a sigmoid), 1 where ``sigmoid(logit) > threshold``, else 0."""
    if logits.shape[dim] == 1:
        return (logits.sigmoid() > threshold).squeeze(dim).long()
    return class_argmax(logits, dim=dim)


def seg_probabilities(logits: torch.Tensor, dim: int) -> torch.Tensor:
    """Class probabilities: softmax over ``dim``; the sigmoid for one channel."""
    return logits.sigmoid() if logits.shape[dim] == 1 else logits.softmax(dim=dim)


def adapt_input_conv_weight(state: MutableMapping[str, torch.Tensor], key: str,
                            in_channels: int, owner: str) -> None:
    """Fit a pretrained RGB first conv ``state[key]`` to ``in_channels`` inputs, in place.

    As timm does (``adapt_input_conv``): one channel sums the RGB filters; N channels
    repeat them cyclically, scaled by 3/N, so the activations keep their scale. Logs one
    line; a weight that is absent, already fits or is not a 3-channel conv is left alone.
    """
    weight = state.get(key)
    if weight is None or weight.dim() != 4 or weight.shape[1] != 3 or in_channels == 3:
        return
    from timm.models import adapt_input_conv  # imported on use: timm is slow to import
    state[key] = adapt_input_conv(in_channels, weight)
    print_log(f'{owner}: pretrained first conv {key} adapted from 3 to {in_channels} input '
              'channels (RGB filters repeated and scaled by 3/N, as timm does)',
              logger='current')


def _input_to_channels_last(module: nn.Module, args: tuple) -> tuple:
    """Forward pre-hook: the 4-D input image in channels-last layout."""
    if args and isinstance(args[0], torch.Tensor) and args[0].dim() == 4:
        return (args[0].contiguous(memory_format=torch.channels_last),) + tuple(args[1:])
    return args


def to_channels_last(segmentor: nn.Module) -> nn.Module:
    """Put a segmentor's weights in channels-last (NHWC) layout and convert the backbone's
    input on entry, in place; the activations follow. oneDNN's convs on CPU and tensor
    cores on GPU are faster in NHWC. Calling it again only re-lays out new weights
    (e.g. convs made by :func:`fold_bn`)."""
    segmentor.to(memory_format=torch.channels_last)
    if not getattr(segmentor, 'channels_last', False):
        segmentor.backbone.register_forward_pre_hook(_input_to_channels_last)
        segmentor.channels_last = True
    return segmentor


def _fold(conv: nn.Conv2d, bn: _BatchNorm) -> nn.Conv2d:
    """A copy of ``conv`` computing ``bn(conv(x))`` with BN's running statistics folded in
    (PyTorch's ``fuse_conv_bn_weights``, which unlike ``fuse_conv_bn_eval`` does not
    require eval mode)."""
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        conv.weight, conv.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused


@torch.no_grad()
def fold_bn(model: nn.Module) -> nn.Module:
    """Fold inference-mode BatchNorm into the conv before it, in place; returns ``model``.

    Only pairs known to run back to back are folded: ``ConvModule`` (conv, bn), ResNet
    blocks (conv1/bn1, conv2/bn2, conv3/bn3) and a Conv2d directly followed by a BN in an
    ``nn.Sequential`` (stem, downsample). The model must be in eval mode afterwards.
    """
    from .layers import BasicBlock, Bottleneck, ConvModule
    for module in list(model.modules()):
        if isinstance(module, ConvModule) and isinstance(module.bn, _BatchNorm):
            module.conv, module.bn = _fold(module.conv, module.bn), None
        elif isinstance(module, (BasicBlock, Bottleneck)):
            for i in (1, 2, 3):
                conv, bn = getattr(module, f'conv{i}', None), getattr(module, f'bn{i}', None)
                if isinstance(bn, _BatchNorm):
                    setattr(module, f'conv{i}', _fold(conv, bn))
                    setattr(module, f'bn{i}', nn.Identity())
        elif isinstance(module, nn.Sequential):
            for i in range(len(module) - 1):
                if isinstance(module[i], nn.Conv2d) and isinstance(module[i + 1], _BatchNorm):
                    module[i], module[i + 1] = _fold(module[i], module[i + 1]), nn.Identity()
    return model
