"""Re-save a trusted pickle checkpoint as a weights-only file.

``torch.load(weights_only=False)`` runs whatever code the file's pickle names, so only a
file from a source the user trusts may go through here. What comes out holds tensors and
plain Python data only and loads with :func:`segkit.utils.checkpoint_io.safe_load`.
"""
import os.path as osp
import pickle
from collections import OrderedDict
from typing import Any, List, Tuple

import numpy as np
import torch
from torch import nn

from segkit.utils.checkpoint_io import safe_load, save_checkpoint_file, what_it_is
from segkit.utils.errors import CheckpointError

PLAIN_SCALARS = (str, bytes, int, float, bool, complex, type(None))
_DROPPED = object()  # marks a value that is not plain data


def plain_data(obj: Any, path: str = '') -> Tuple[Any, List[str]]:
    """``obj`` reduced to tensors and plain data, and the paths of the values dropped.

    Tensors (parameters included) are kept as plain tensors; numeric NumPy arrays become
    tensors and NumPy scalars Python values; a pickled ``nn.Module`` becomes its state
    dict; dicts, lists and tuples (subclasses included) are walked and rebuilt as plain
    ones. Anything else is dropped.
    """
    if isinstance(obj, torch.Tensor):
        return obj.detach(), []
    if isinstance(obj, nn.Module):
        return plain_data(obj.state_dict(), path)
    if isinstance(obj, np.ndarray) and obj.dtype.kind in 'biufc':
        return torch.from_numpy(obj.copy()), []
    if isinstance(obj, np.generic) and obj.dtype.kind in 'biufcSU':
        return obj.item(), []
    if type(obj) in PLAIN_SCALARS:  # exact types: a subclass would need its class to load
        return obj, []
    if isinstance(obj, dict):
        out = OrderedDict() if isinstance(obj, OrderedDict) else {}
        dropped = []
        for key, value in obj.items():
            item_path = f'{path}.{key}' if path else str(key)
            if type(key) not in PLAIN_SCALARS:
                dropped.append(item_path)
                continue
            value, lost = plain_data(value, item_path)
            dropped += lost
            if value is not _DROPPED:
                out[key] = value
        metadata = getattr(obj, '_metadata', None)  # state-dict versions, read by load_state_dict
        if metadata is not None:
            meta, lost = plain_data(metadata, f'{path}._metadata')
            if not lost:
                out._metadata = meta
        return out, dropped
    if isinstance(obj, (list, tuple)):
        items, dropped = [], []
        for i, value in enumerate(obj):
            value, lost = plain_data(value, f'{path}[{i}]')
            dropped += lost
            if value is not _DROPPED:
                items.append(value)
        return (tuple(items) if isinstance(obj, tuple) else items), dropped
    return _DROPPED, [f'{path or "<root>"} ({type(obj).__module__}.{type(obj).__qualname__})']


def trust_checkpoint(src: str, dst: str) -> List[str]:
    """Load ``src`` with ``weights_only=False`` and save its plain data to ``dst``.

    Returns the paths of the values left out (objects that are not plain data).

    Raises:
        CheckpointError: ``src`` is missing or unreadable, nothing in it is plain data, or
            ``dst`` cannot be written.
    """
    if not osp.isfile(src):
        raise CheckpointError(f'checkpoint not found: {src}')
    if osp.getsize(src) == 0:
        raise CheckpointError(f'cannot load {src}: the file is empty (0 bytes; an interrupted '
                              'download or copy?); download or copy it again')
    try:
        checkpoint = torch.load(src, map_location='cpu', weights_only=False)
    except Exception as e:  # unpickling can raise anything the file's code raises
        damaged = isinstance(e, (pickle.UnpicklingError, EOFError)) or \
            'PytorchStreamReader' in str(e)  # not a pickle or torch zip, or one cut short
        reason = what_it_is(src, e) if damaged else f'{type(e).__name__}: {e}'
        raise CheckpointError(f'cannot load {src}: {reason}') from None
    data, dropped = plain_data(checkpoint)
    if data is _DROPPED:
        raise CheckpointError(f'{src} holds no tensors or plain data (a {dropped[0]})')
    save_checkpoint_file(data, dst)
    safe_load(dst)  # proves the result loads with weights_only=True
    return dropped
