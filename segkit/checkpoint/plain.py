"""The one walker that turns configs and checkpoints into plain data.

:func:`walk` rebuilds dicts, lists and tuples and lets a ``leaf`` function decide what
every other value becomes. The checkpoint hooks (the message hub and the model config
saved in ``meta``), the trusted loader (:mod:`segkit.checkpoint.trusted`) and the deploy
fingerprint use it, each with its own leaf.
"""
from collections import OrderedDict
from typing import Any, Callable, Collection, List, Mapping, Optional

import numpy as np
from mmengine.logging import HistoryBuffer

# Returned by a leaf function: leave the value out.
DROP = object()
# Python values that load with ``torch.load(weights_only=True)``; exact types, as a
# subclass would need its class to load.
PLAIN_SCALARS = (str, bytes, int, float, bool, complex, type(None))
BUFFER_TAG = '__history_buffer__'


def walk(obj: Any, leaf: Callable[[Any, str], Any], skip_keys: Collection[str] = (),
         dropped: Optional[List[str]] = None,
         on_mapping: Optional[Callable[[dict], Any]] = None, path: str = '') -> Any:
    """``obj`` with its dicts, lists and tuples rebuilt and ``leaf(value, path)`` applied
    to every other value.

    Args:
        obj: what to walk.
        leaf: returns what a value becomes, or :data:`DROP` to leave it out.
        skip_keys: dict keys left out wherever they occur.
        dropped: where the paths of the values left out are added (a dict key that is
            not a plain scalar is left out with its value).
        on_mapping: applied to each rebuilt dict (e.g. to turn a tagged dict back into
            the object it stands for).
        path: the dotted path of ``obj``, for ``leaf`` and ``dropped``.

    Returns:
        The rebuilt value; :data:`DROP` when ``obj`` itself is left out. Dicts become
        ``dict`` (``OrderedDict`` stays one, with a state dict's ``_metadata``), lists
        ``list`` and tuples ``tuple``.
    """
    def lost(item_path: str, reason: str = '') -> None:
        if dropped is not None:
            dropped.append(item_path + reason)

    if isinstance(obj, Mapping):
        out = OrderedDict() if isinstance(obj, OrderedDict) else {}
        for key, value in obj.items():
            if key in skip_keys:
                continue
            item_path = f'{path}.{key}' if path else str(key)
            if type(key) not in PLAIN_SCALARS:
                lost(item_path)
                continue
            value = walk(value, leaf, skip_keys, dropped, on_mapping, item_path)
            if value is not DROP:
                out[key] = value
        metadata = getattr(obj, '_metadata', None)  # state-dict versions, read by load_state_dict
        if metadata is not None and isinstance(out, OrderedDict):
            meta_lost: List[str] = []
            meta = walk(metadata, leaf, (), meta_lost, on_mapping, f'{path}._metadata')
            if not meta_lost:
                out._metadata = meta
        return on_mapping(out) if on_mapping is not None else out
    if isinstance(obj, (list, tuple)):
        items = [walk(value, leaf, skip_keys, dropped, on_mapping, f'{path}[{i}]')
                 for i, value in enumerate(obj)]
        items = [item for item in items if item is not DROP]
        return tuple(items) if isinstance(obj, tuple) else items
    value = leaf(obj, path)
    if value is DROP:
        lost(path or '<root>', f' ({type(obj).__module__}.{type(obj).__qualname__})')
    return value


def plain_cfg(cfg: Any, skip_keys: Collection[str] = ()) -> Any:
    """A config as plain data (dicts, lists, numbers, strings; anything else as its
    ``repr``), comparable and safe to save."""
    return walk(cfg, lambda value, path: value if type(value) in PLAIN_SCALARS else repr(value),
                skip_keys)


def _history_to_plain(value: Any, path: str) -> Any:
    if isinstance(value, HistoryBuffer):
        log, count = value.data
        return {BUFFER_TAG: True, 'log_history': log.tolist(), 'count_history': count.tolist(),
                'max_length': value.max_length}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _plain_to_history(value: dict) -> Any:
    if value.get(BUFFER_TAG):
        return HistoryBuffer(log_history=value['log_history'],
                             count_history=value['count_history'],
                             max_length=value['max_length'])
    return value


def runner_state_to_plain(value: Any) -> Any:
    """A checkpoint's ``meta`` or ``message_hub`` with mmengine's ``HistoryBuffer`` objects
    and NumPy values as plain Python data (what ``weights_only=True`` loads)."""
    return walk(value, _history_to_plain)


def runner_state_from_plain(value: Any) -> Any:
    """Rebuild the ``HistoryBuffer`` objects written by :func:`runner_state_to_plain`."""
    return walk(value, lambda item, path: item, on_mapping=_plain_to_history)
