"""A tiny DeepLabV3+ (ResNetV1c-18 D8 at 1/4 width) with fixed weights, shared by the logits
test and the script that recorded MMSegmentation 1.2.2's logits for it.

Imports torch only, so MMSegmentation's environment can load this file to build the same
model and weights. ``MODEL`` is written in both frameworks' config keys.
"""
import math

import torch

NUM_CLASSES = 3
INPUT_SHAPE = (1, 3, 32, 48)
NORM = dict(type='BN', requires_grad=True)
MODEL = dict(
    type='EncoderDecoder',
    backbone=dict(type='ResNetV1c', depth=18, stem_channels=16, base_channels=16,
                  out_indices=(0, 1, 2, 3), strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4),
                  contract_dilation=True, norm_cfg=NORM),
    decode_head=dict(type='DepthwiseSeparableASPPHead', in_channels=128, in_index=3,
                     channels=16, dilations=(1, 2, 4, 6), c1_in_channels=16, c1_channels=8,
                     dropout_ratio=0.1, num_classes=NUM_CLASSES, norm_cfg=NORM,
                     align_corners=False),
    test_cfg=dict(mode='whole'))


def fixed_weights(state_dict: dict) -> dict:
    """Deterministic weights for every key of ``state_dict`` (in sorted key order): He
    normal conv weights, BN affine and statistics away from their defaults."""
    generator = torch.Generator().manual_seed(0)
    out = {}
    for key in sorted(state_dict):
        value = state_dict[key]
        if key.endswith('num_batches_tracked'):
            out[key] = value.clone()
            continue
        noise = torch.randn(value.shape, generator=generator)
        if key.endswith('running_var'):
            out[key] = 0.5 + noise.abs()
        elif value.dim() == 4:
            fan_in = value.shape[1] * value.shape[2] * value.shape[3]
            out[key] = noise * math.sqrt(2.0 / fan_in)
        elif key.endswith('weight'):  # BN scale
            out[key] = 1.0 + 0.2 * noise
        else:  # biases, running means
            out[key] = 0.1 * noise
    return out


def fixed_input() -> torch.Tensor:
    """The normalized input image batch."""
    return torch.randn(INPUT_SHAPE, generator=torch.Generator().manual_seed(1))
