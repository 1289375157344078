"""The one place that knows how a segmentor takes its inputs and gives logits.

An exported model takes the named float inputs of the data preprocessor
(``input_names``): ``img`` ``(N, C, H, W)`` (normalised, in the config's channel order;
C is the data preprocessor's number of mean values)
and, for Gated-SCNN, ``edge`` ``(N, 1, H, W)`` (the Canny map). It returns ``seg``: the
segmentor's tensor-mode logits ``(N, num_classes, H, W)`` at the input size.
"""
from typing import Dict, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from segkit.models.segmentors.base_segmentor import Inputs


def input_names(segmentor: nn.Module) -> Tuple[str, ...]:
    """The exported model's input names for ``segmentor``."""
    return tuple(getattr(segmentor.data_preprocessor, 'input_names', ('img',)))


def split_inputs(inputs: Inputs, names: Sequence[str]) -> Dict[str, torch.Tensor]:
    """The data preprocessor's ``inputs`` (the image, or a dict) as ``{name: tensor}``."""
    if isinstance(inputs, dict):
        return {name: inputs[name] for name in names}
    return {names[0]: inputs}


class ExportWrapper(nn.Module):
    """``segmentor`` as a module of positional named inputs returning input-size logits."""

    def __init__(self, segmentor: nn.Module):
        super().__init__()
        self.segmentor = segmentor
        self.input_names = input_names(segmentor)
        self.in_channels = len(segmentor.data_preprocessor.mean)

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        named = dict(zip(self.input_names, inputs))
        return self.segmentor(named if len(named) > 1 else inputs[0], mode='tensor')

    def example_inputs(self, batch: int, height: int, width: int,
                       seed: int = 0) -> Tuple[torch.Tensor, ...]:
        """Random inputs: a normalised-looking image and, for Gated-SCNN, a binary edge map."""
        generator = torch.Generator().manual_seed(seed)
        img = torch.randn(batch, self.in_channels, height, width, generator=generator)
        if len(self.input_names) == 1:
            return (img,)
        edge = (torch.rand(batch, 1, height, width, generator=generator) > 0.9).float()
        return img, edge


def to_numpy(feeds: Dict[str, torch.Tensor]) -> Dict[str, np.ndarray]:
    return {name: np.ascontiguousarray(t.detach().float().cpu().numpy())
            for name, t in feeds.items()}
