"""State dicts: the weights of a checkpoint, how they fit a model, loading them.

Every load into a model being trained (``load_from``/``resume`` through the Runner,
``pretrained``/``init_cfg`` through a backbone) logs one line: what it loaded, what it
left missing, mismatched or unused. One that leaves most of the model's values at their
initialisation is refused unless the config sets ``allow_partial_load = True``.
"""
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

import torch
from mmengine.logging import print_log
from torch import nn

from segkit.utils.errors import CheckpointError

from .io import safe_load

DDP_PREFIX = 'module.'
MAX_LISTED_KEYS = 5
# The config key that allows a load leaving most of a model's values untouched.
PARTIAL_LOAD_KEY = 'allow_partial_load'
# A load filling less than this share of a model's values is refused unless allowed.
MIN_LOADED_SHARE = 0.5
# Whether the running training allows partial loads, set from its config (see
# :func:`allow_partial_loads`) for the loads that backbones make in ``init_weights``.
_RUN_POLICY = {PARTIAL_LOAD_KEY: False}


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
    ``fitting`` lists the keys it can load; ``fitting_share`` is the share of the model's
    values they hold.
    """

    num_tensors: int
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    shape_mismatches: List[str] = field(default_factory=list)
    shape_notes: List[str] = field(default_factory=list)
    fitting: List[str] = field(default_factory=list)
    fitting_share: float = 1.0

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

    def load_line(self, source: str, target: str) -> str:
        """One line: what a load of these weights from ``source`` into ``target`` does."""
        of_model = len(self.fitting) + len(self.missing) + len(self.shape_mismatches)
        parts = [f'{source}: loaded {len(self.fitting)} of {of_model} tensors of {target} '
                 f'({self.fitting_share:.0%} of its values)']
        for name, keys in (('missing', self.missing), ('mismatched', self.shape_notes),
                           ('unused', self.unexpected)):
            parts.append(f'{len(keys)} {name}' + (f': {first_keys(keys)}' if keys else ''))
        return '; '.join(parts)


def check_state_dict(state: Mapping[str, torch.Tensor], model: nn.Module) -> KeyReport:
    """Compare ``state`` with ``model.state_dict()`` key by key and shape by shape."""
    own = model.state_dict()
    shapes = [k for k, v in state.items() if k in own and getattr(v, 'shape', None) != own[k].shape]
    mismatched = set(shapes)
    fitting = [k for k in own if k in state and k not in mismatched]
    total = sum(v.numel() for v in own.values())
    return KeyReport(
        num_tensors=len(state),
        missing=[k for k in own if k not in state],
        unexpected=[k for k in state if k not in own],
        shape_mismatches=shapes,
        shape_notes=[f'{k}: checkpoint {_shape(state[k])} vs model {tuple(own[k].shape)}'
                     for k in shapes],
        fitting=fitting,
        fitting_share=sum(own[k].numel() for k in fitting) / total if total else 1.0)


def _shape(value: Any) -> Any:
    shape = getattr(value, 'shape', None)
    return tuple(shape) if shape is not None else f'a {type(value).__name__}'


def allow_partial_loads(allowed: bool) -> None:
    """Set whether the loads of the running training may leave most of a model untouched
    (its config's ``allow_partial_load``)."""
    _RUN_POLICY[PARTIAL_LOAD_KEY] = allowed


def check_fit(state: Mapping[str, torch.Tensor], model: nn.Module, source: str,
              allow_partial: Optional[bool] = None) -> KeyReport:
    """How ``state`` fits ``model``, logged as one line; refused when it fits too little.

    Args:
        state: the weights to load.
        model: where they go.
        source: the file they come from, for the messages.
        allow_partial: accept a load that fills less than half of the model's values;
            None for the running training's ``allow_partial_load``.

    Raises:
        CheckpointError: the tensors that fit hold less than half of the model's values
            and partial loads are not allowed.
    """
    if allow_partial is None:
        allow_partial = _RUN_POLICY[PARTIAL_LOAD_KEY]
    report = check_state_dict(state, model)
    line = report.load_line(source, type(model).__name__)
    if report.fitting_share < MIN_LOADED_SHARE and not allow_partial:
        raise CheckpointError(f'{line}. Refusing to leave most of the model at its '
                              'initialisation: is it the right checkpoint for this model? If '
                              f'that is intended, set {PARTIAL_LOAD_KEY} = True in the config')
    print_log(line, logger='current')
    return report


def fit_checkpoint(checkpoint: dict, model: nn.Module, source: str) -> None:
    """Check how a checkpoint loaded by the Runner (``load_from``, ``resume``) fits
    ``model`` (:func:`check_fit`), then make its ``state_dict`` exactly the model's keys:
    the tensors that fit, and the model's own values for the rest. mmengine then loads it
    without its per-key messages, and what does not fit stays as it was."""
    state = strip_ddp_prefix(state_dict_of(checkpoint))
    report = check_fit(state, model, source)
    fitting, own = set(report.fitting), model.state_dict()
    fitted = OrderedDict((k, state[k] if k in fitting else v) for k, v in own.items())
    fitted._metadata = own._metadata  # state-dict versions, read by BN layers
    checkpoint['state_dict'] = fitted


def load_pretrained(module: nn.Module, checkpoint: Optional[str],
                    prefix: Optional[str] = None,
                    adapt: Optional[Callable[[Dict[str, torch.Tensor]], None]] = None) -> None:
    """Load the weights of ``checkpoint`` that fit ``module``, keeping keys under ``prefix``.

    Keys are matched after removing ``prefix`` (e.g. 'backbone.') when given, and a
    leading 'module.' (DDP); ``adapt`` may then change the weights in place (e.g. an RGB
    first conv for N input channels). The load is logged and checked by
    :func:`check_fit`; a file that matches no key at all is an error.
    """
    if not checkpoint:
        raise CheckpointError(f'{type(module).__name__} init_cfg Pretrained needs a checkpoint '
                              'path')
    state = strip_ddp_prefix(state_dict_of(safe_load(checkpoint)))
    if prefix:
        state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    if adapt is not None:
        adapt(state)
    if set(state).isdisjoint(module.state_dict()):
        raise CheckpointError(f'{checkpoint} has no weights for {type(module).__name__} (first '
                              f'keys: {list(state)[:3]}); is it the right file or prefix?')
    report = check_fit(state, module, checkpoint)
    module.load_state_dict({k: state[k] for k in report.fitting}, strict=False)


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
