"""MMSegmentation checkpoints -> segkit: check them against a config, keep the weights only.

segkit's ResNetV1c, ASPPHead, FCNHead and NLHead (with NonLocal2d) use MMSegmentation's
parameter names, so a model-zoo checkpoint of DeepLabV3 or NonLocal (R-50/101-D8) needs
no key renaming. Conversion takes the checkpoint's ``state_dict``, drops a DDP
``module.`` prefix and everything else (``meta``, ``optimizer``), checks every key and
shape against the model a segkit config builds, and writes ``{'state_dict': ...}``, a
file that loads with ``torch.load(weights_only=True)``.
"""
import os
import os.path as osp
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Mapping

import torch
from mmengine.logging import print_log
from torch import nn

from segkit.registry import MODELS
from segkit.utils.errors import CheckpointError

from .checkpoint import safe_load, state_dict_of

DDP_PREFIX = 'module.'
MAX_LISTED_KEYS = 5


@dataclass
class KeyReport:
    """How a state dict fits a model: keys it lacks, keys it has extra, shapes that differ."""

    num_tensors: int
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    shape_mismatches: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.shape_mismatches)

    def summary(self) -> str:
        """One line: counts, with the first few keys of each kind."""
        def first(keys):
            more = f' (+{len(keys) - MAX_LISTED_KEYS} more)' if len(keys) > MAX_LISTED_KEYS else ''
            return ', '.join(keys[:MAX_LISTED_KEYS]) + more
        parts = [f'{self.num_tensors} tensors']
        for name, keys in (('missing', self.missing), ('unexpected', self.unexpected),
                           ('shape mismatches', self.shape_mismatches)):
            parts.append(f'{len(keys)} {name}' + (f': {first(keys)}' if keys else ''))
        return '; '.join(parts)


def build_model_skeleton(config: str) -> nn.Module:
    """The model of a segkit config on the 'meta' device: names and shapes, no memory."""
    from segkit.config import load_config
    from segkit.utils import register_all_modules
    register_all_modules()
    cfg = load_config(config)
    with torch.device('meta'):
        return MODELS.build(cfg.model)


def mmseg_state_dict(checkpoint: Mapping) -> Dict[str, torch.Tensor]:
    """The weights of an MMSegmentation checkpoint, without a DDP ``module.`` prefix."""
    state = state_dict_of(dict(checkpoint))
    not_tensors = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise CheckpointError(f'the state dict holds non-tensor values at {not_tensors[:3]}; '
                              'expected a mapping of parameter names to tensors')
    return OrderedDict((k[len(DDP_PREFIX):] if k.startswith(DDP_PREFIX) else k, v)
                       for k, v in state.items())


def check_state_dict(state: Mapping[str, torch.Tensor], model: nn.Module) -> KeyReport:
    """Compare ``state`` with ``model.state_dict()`` key by key and shape by shape."""
    own = model.state_dict()
    return KeyReport(
        num_tensors=len(state),
        missing=[k for k in own if k not in state],
        unexpected=[k for k in state if k not in own],
        shape_mismatches=[f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}'
                          for k, v in state.items() if k in own and v.shape != own[k].shape])


def convert_mmseg_checkpoint(src: str, config: str, dst: str) -> KeyReport:
    """Check ``src`` against the model of ``config`` and write its weights to ``dst``.

    Raises:
        CheckpointError: the file is unsafe or unreadable (see ``safe_load``), or its keys
            or shapes do not match the model exactly; nothing is written then.
    """
    state = mmseg_state_dict(safe_load(src))
    report = check_state_dict(state, build_model_skeleton(config))
    if not report.ok:
        raise CheckpointError(f'{src} does not fit {config}: {report.summary()}. Is it a '
                              'checkpoint of this model, with the same num_classes and depth?')
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    tmp = f'{dst}.tmp'
    torch.save({'state_dict': state}, tmp)
    os.replace(tmp, dst)
    print_log(f'{src} -> {dst}: {report.summary()}', logger='current')
    return report
