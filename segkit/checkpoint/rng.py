"""The random number generators' states as plain data, to save, restore and preserve.

The states (torch CPU, the current CUDA device, NumPy's global generator and Python's
``random``) are tensors, lists and numbers only, so a checkpoint holding them still loads
with ``torch.load(weights_only=True)``.
"""
import contextlib
import random

import numpy as np
import torch


def rng_state() -> dict:
    """This process's generator states."""
    _, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    state = dict(
        torch=torch.get_rng_state(),
        numpy=dict(keys=torch.from_numpy(keys.astype(np.int64)), pos=int(pos),
                   has_gauss=int(has_gauss), cached_gaussian=float(cached_gaussian)),
        random=dict(version=version, internal=list(internal), gauss_next=gauss_next))
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state()
    return state


def set_rng_state(state: dict) -> None:
    """Restore the states written by :func:`rng_state` (tensors may be on any device)."""
    torch.set_rng_state(state['torch'].cpu())
    numpy = state['numpy']
    np.random.set_state(('MT19937', numpy['keys'].cpu().numpy().astype(np.uint32),
                         numpy['pos'], numpy['has_gauss'], numpy['cached_gaussian']))
    py = state['random']
    random.setstate((py['version'], tuple(py['internal']), py['gauss_next']))
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state['cuda'].cpu())


@contextlib.contextmanager
def preserved_rng():
    """Run a block without changing this process's generator states."""
    state = rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
