"""Parameters and FLOPs of a config's model."""
from typing import Tuple

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config

from segkit.registry import MODELS
from segkit.utils.errors import ConfigError


def model_complexity(cfg: Config, shape: Tuple[int, int]) -> dict:
    """Count the model's parameters and the FLOPs of one ``(H, W)`` image.

    The model runs in 'tensor' mode: backbone, neck and decode head, logits at the input
    size; auxiliary heads (training only) add parameters but no FLOPs.
    One multiply-add counts as one FLOP (mmengine's, fvcore's and MMSegmentation's
    convention).

    Returns:
        mmengine's ``get_model_complexity_info`` dict: ``flops``, ``flops_str``, ``params``,
        ``params_str`` and the per-module ``out_table``.
    """
    if len(shape) != 2 or any(not isinstance(s, int) or s < 1 for s in shape):
        raise ConfigError(f'input shape {tuple(shape)}: expected two positive ints (H, W)')
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        return get_model_complexity_info(model, inputs=(torch.zeros(1, 3, *shape),),
                                         show_table=True, show_arch=False)
