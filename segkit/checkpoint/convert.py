"""MMSegmentation checkpoints -> segkit: check them against a config, keep the weights only.

segkit's ResNetV1c, ASPPHead, DepthwiseSeparableASPPHead, FCNHead and NLHead (with
NonLocal2d) use MMSegmentation's parameter names, so a model-zoo checkpoint of DeepLabV3,
DeepLabV3+ or NonLocal (R-50/101-D8) needs no key renaming. Conversion takes the
checkpoint's ``state_dict``, drops a DDP ``module.`` prefix and everything else (``meta``,
``optimizer``), checks every key and shape against the model a segkit config builds, and
writes ``{'state_dict': ...}``, a file that loads with ``torch.load(weights_only=True)``.
"""
from typing import Dict, Mapping

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from torch import nn

from segkit.registry import MODELS, register_all_modules
from segkit.utils.errors import CheckpointError

from .io import safe_load, save_checkpoint_file
from .state_dict import KeyReport, check_state_dict, state_dict_of, strip_ddp_prefix


def build_model_skeleton(cfg: Config) -> nn.Module:
    """The model of a loaded segkit config on the 'meta' device: names and shapes, no memory."""
    register_all_modules()
    with torch.device('meta'):
        return MODELS.build(cfg.model)


def mmseg_state_dict(checkpoint: Mapping) -> Dict[str, torch.Tensor]:
    """The weights of an MMSegmentation checkpoint, without a DDP ``module.`` prefix."""
    state = state_dict_of(dict(checkpoint))
    not_tensors = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise CheckpointError(f'the state dict holds non-tensor values at {not_tensors[:3]}; '
                              'expected a mapping of parameter names to tensors')
    return strip_ddp_prefix(state)


def convert_mmseg_checkpoint(src: str, cfg: Config, dst: str) -> KeyReport:
    """Check ``src`` against the model of the loaded config ``cfg`` and write its weights
    to ``dst``.

    Raises:
        CheckpointError: the file is unsafe or unreadable (see ``safe_load``), or its keys
            or shapes do not match the model exactly (nothing is written then), or ``dst``
            cannot be written (a previous ``dst`` is kept).
    """
    state = mmseg_state_dict(safe_load(src))
    report = check_state_dict(state, build_model_skeleton(cfg))
    if not report.ok:
        raise CheckpointError(f'{src} does not fit {cfg.filename}: {report.summary()}. Is it a '
                              'checkpoint of this model, with the same num_classes and depth?')
    save_checkpoint_file({'state_dict': state}, dst)
    print_log(f'{src} -> {dst}: {report.summary()}', logger='current')
    return report
