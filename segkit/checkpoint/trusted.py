"""Re-save a trusted pickle checkpoint as a weights-only file.

``torch.load(weights_only=False)`` runs whatever code the file's pickle names, so only a
file from a source the user trusts may go through here. What comes out holds tensors and
plain Python data only and loads with :func:`segkit.checkpoint.io.safe_load`.
"""
import pickle
from typing import Any, List, Tuple

import numpy as np
import torch
from torch import nn

from segkit.utils.errors import CheckpointError

from .io import local_checkpoint, safe_load, save_checkpoint_file, what_it_is
from .plain import DROP, PLAIN_SCALARS, walk


def plain_data(obj: Any) -> Tuple[Any, List[str]]:
    """``obj`` reduced to tensors and plain data, and the paths of the values dropped.

    Tensors (parameters included) are kept as plain tensors; numeric NumPy arrays become
    tensors and NumPy scalars Python values; a pickled ``nn.Module`` becomes its state
    dict; dicts, lists and tuples (subclasses included) are walked and rebuilt as plain
    ones. Anything else is dropped (:data:`~segkit.checkpoint.plain.DROP`).
    """
    dropped: List[str] = []

    def leaf(value: Any, path: str) -> Any:
        if isinstance(value, torch.Tensor):
            return value.detach()
        if isinstance(value, nn.Module):
            return walk(value.state_dict(), leaf, dropped=dropped, path=path)
        if isinstance(value, np.ndarray) and value.dtype.kind in 'biufc':
            return torch.from_numpy(value.copy())
        if isinstance(value, np.generic) and value.dtype.kind in 'biufcSU':
            return value.item()
        return value if type(value) in PLAIN_SCALARS else DROP

    return walk(obj, leaf, dropped=dropped), dropped


def trust_checkpoint(src: str, dst: str) -> List[str]:
    """Load ``src`` with ``weights_only=False`` and save its plain data to ``dst``.

    Returns the paths of the values left out (objects that are not plain data).

    Raises:
        CheckpointError: ``src`` is missing or unreadable, nothing in it is plain data, or
            ``dst`` cannot be written.
    """
    path = local_checkpoint(src)
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=False)
    except Exception as e:  # unpickling can raise anything the file's code raises
        damaged = isinstance(e, (pickle.UnpicklingError, EOFError)) or \
            'PytorchStreamReader' in str(e)  # not a pickle or torch zip, or one cut short
        reason = what_it_is(path, e) if damaged else f'{type(e).__name__}: {e}'
        raise CheckpointError(f'cannot load {src}: {reason}') from None
    data, dropped = plain_data(checkpoint)
    if data is DROP:
        raise CheckpointError(f'{src} holds no tensors or plain data (a {dropped[0]})')
    save_checkpoint_file(data, dst)
    safe_load(dst)  # proves the result loads with weights_only=True
    return dropped
