"""State dicts: the weights of a checkpoint, how they fit a model, loading them."""
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence

import torch
from mmengine.logging import print_log
from torch import nn

from segkit.utils.errors import CheckpointError

from .io import safe_load

DDP_PREFIX = 'module.'
MAX_LISTED_KEYS = 5


def state_dict_of(checkpoint: dict) -> dict:
    """The weights of a checkpoint: its ``state_dict``/``model`` entry, or itself."""
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint.get(key), dict):
            return checkpoint[key]
    return checkpoint


def strip_ddp_prefix(state: Mapping[str, Any]) -> Dict[str, Any]:
    """``state`` with a leading DDP ``module.`` removed from every key, in order."""
    return OrderedDict((k[len(DDP_PREFIX):] if k.startswith(DDP_PREFIX) else k, v)
                       for k, v in state.items())


def first_keys(keys: Sequence[str]) -> str:
    """The first few of ``keys``, comma-separated, with how many more there are."""
    more = f' (+{len(keys) - MAX_LISTED_KEYS} more)' if len(keys) > MAX_LISTED_KEYS else ''
    return ', '.join(keys[:MAX_LISTED_KEYS]) + more


@dataclass
class KeyReport:
    """How a state dict fits a model: keys it lacks, keys it has extra, shapes that differ.

    ``shape_mismatches`` lists the keys; ``shape_notes`` says for each what differs.
    """

    num_tensors: int
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    shape_mismatches: List[str] = field(default_factory=list)
    shape_notes: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.shape_mismatches)

    def summary(self) -> str:
        """One line: counts, with the first few keys of each kind."""
        parts = [f'{self.num_tensors} tensors']
        for name, keys in (('missing', self.missing), ('unexpected', self.unexpected),
                           ('shape mismatches', self.shape_notes)):
            parts.append(f'{len(keys)} {name}' + (f': {first_keys(keys)}' if keys else ''))
        return '; '.join(parts)


def check_state_dict(state: Mapping[str, torch.Tensor], model: nn.Module) -> KeyReport:
    """Compare ``state`` with ``model.state_dict()`` key by key and shape by shape."""
    own = model.state_dict()
    shapes = [k for k, v in state.items() if k in own and v.shape != own[k].shape]
    return KeyReport(
        num_tensors=len(state),
        missing=[k for k in own if k not in state],
        unexpected=[k for k in state if k not in own],
        shape_mismatches=shapes,
        shape_notes=[f'{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(own[k].shape)}'
                     for k in shapes])


def load_pretrained(module: nn.Module, checkpoint: Optional[str],
                    prefix: Optional[str] = None) -> None:
    """Load weights into ``module`` from a local file, keeping keys under ``prefix``.

    Keys are matched after removing ``prefix`` (e.g. 'backbone.') when given, and a
    leading 'module.' (DDP). Missing and unexpected keys are logged; a file that matches
    no key at all is an error.
    """
    if not checkpoint:
        raise CheckpointError(f'{type(module).__name__} init_cfg Pretrained needs a checkpoint path')
    state = strip_ddp_prefix(state_dict_of(safe_load(checkpoint)))
    if prefix:
        state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    result = module.load_state_dict(state, strict=False)
    matched = len(state) - len(result.unexpected_keys)
    if matched == 0:
        raise CheckpointError(f'{checkpoint} has no weights for {type(module).__name__} (first '
                              f'keys: {list(state)[:3]}); is it the right file or prefix?')
    print_log(f'loaded {matched} tensors into {type(module).__name__} from {checkpoint}; '
              f'missing: {result.missing_keys or "none"}; unexpected: '
              f'{result.unexpected_keys or "none"}', logger='current')


def mmseg_origin(checkpoint: Any) -> Optional[str]:
    """'MMSegmentation <version>' when ``checkpoint`` was written by MMSegmentation, else None.

    MMSegmentation 0.x records ``meta['mmseg_version']``; 1.x (mmengine's Runner) records
    its config text, whose ``default_scope`` is 'mmseg'.
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    if not isinstance(meta, dict):
        return None
    if isinstance(meta.get('mmseg_version'), str):
        return f"MMSegmentation {meta['mmseg_version']}"
    if re.search(r"default_scope\s*=\s*['\"]mmseg['\"]", str(meta.get('cfg', ''))):
        return 'MMSegmentation 1.x'
    return None


def load_model_weights(model: nn.Module, checkpoint: str) -> None:
    """Load a full-model checkpoint strictly: mismatched keys or shapes are an error.

    An MMSegmentation checkpoint (model zoo or own training) is recognised by its ``meta``;
    its ``state_dict`` is taken as it is (segkit keeps MMSegmentation's key layout for the
    models both have), ``meta`` and the optimizer state are dropped.
    """
    if hasattr(model, 'module'):
        model = model.module
    loaded = safe_load(checkpoint)
    origin = mmseg_origin(loaded)
    state = strip_ddp_prefix(state_dict_of(loaded))
    report = check_state_dict(state, model)
    if not report.ok:
        parts = [f'{len(keys)} {name}: {first_keys(keys)}'
                 for name, keys in (('missing keys', report.missing),
                                    ('unexpected keys', report.unexpected),
                                    ('shape mismatches', report.shape_notes)) if keys]
        hint = (f'It is an {origin} checkpoint: is it the model of this config (the README '
                'lists the MMSegmentation checkpoint of each shipped config)?' if origin else
                'Is it a checkpoint of this config?')
        raise CheckpointError(f'{checkpoint} does not fit {type(model).__name__}: '
                              + '; '.join(parts) + f'. {hint}')
    model.load_state_dict(state)
    print_log(f'loaded {len(state)} tensors from {checkpoint}'
              + (f' ({origin} checkpoint: its key layout is segkit\'s; meta and optimizer '
                 'state dropped)' if origin else ''), logger='current')
