"""Safe checkpoint loading: ``weights_only=True`` everywhere, with clear refusals.

segkit's own checkpoints hold only tensors and plain Python values (the message hub is
stored as lists by :class:`SafeCheckpointHook`), so they load with PyTorch's default
allowlist. Third-party weights may also hold NumPy arrays and scalars, which are allowed;
nothing else is. This module replaces mmengine's local-file and ``open-mmlab://``
loaders, so the Runner's ``load_from`` and ``resume`` go through it.
"""
import os.path as osp
import pickle
import re
import zipfile
from typing import Optional

import numpy as np
import torch
from mmengine.logging import print_log
from mmengine.runner import CheckpointLoader
from torch import nn

from segkit.utils.errors import CheckpointError

NUMPY_SAFE_GLOBALS = [np._core.multiarray._reconstruct, np.ndarray, np.dtype,
                      np._core.multiarray.scalar,
                      *(getattr(np.dtypes, name) for name in dir(np.dtypes)
                        if name.endswith('DType'))]

# How torch.save's legacy (non-zip) format starts: the pickled magic number.
LEGACY_MAGIC = pickle.dumps(torch.serialization.MAGIC_NUMBER, protocol=2)[2:]

OPENMMLAB_URLS = {
    'resnet18_v1c': 'https://download.openmmlab.com/pretrain/third_party/resnet18_v1c-b5776b93.pth',
    'resnet50_v1c': 'https://download.openmmlab.com/pretrain/third_party/resnet50_v1c-2cccc1ad.pth',
    'resnet101_v1c': 'https://download.openmmlab.com/pretrain/third_party/resnet101_v1c-e67eebb6.pth',
}


def safe_load(filename: str, map_location='cpu') -> dict:
    """``torch.load`` with ``weights_only=True``; refuses anything needing arbitrary code.

    A file that torch cannot read is diagnosed (empty, truncated, a web page, a Git LFS
    pointer, a zip or pickle that ``torch.save`` did not write); only a genuine pickle
    needing code is sent to ``trust_checkpoint.py``.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise CheckpointError(f'checkpoint not found: {filename}')
    if osp.getsize(filename) == 0:
        raise CheckpointError(f'cannot read checkpoint {filename}: the file is empty (0 bytes; '
                              'an interrupted download or copy?); download or copy it again')
    try:
        with torch.serialization.safe_globals(NUMPY_SAFE_GLOBALS):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r'GLOBAL ([\w.]+)', str(e))
        if not found:
            raise CheckpointError(f'cannot read checkpoint {filename}: '
                                  f'{_what_it_is(filename, e)}') from None
        raise CheckpointError(
            f'refusing to load {filename}: it needs arbitrary code to unpickle '
            f'({found.group(1)} is not on the safe list). If you trust this file, convert it '
            'once to a safe file with: python '
            f'tools/model_converters/trust_checkpoint.py {filename} OUTPUT.pth') from None
    except Exception as e:  # the unpickler fails on garbage with any kind of error
        raise CheckpointError(f'cannot read checkpoint {filename}: '
                              f'{_what_it_is(filename, e)}') from None


def _what_it_is(filename: str, error: Exception) -> str:
    """What a file that ``torch.load`` cannot read holds, and what to do about it."""
    with open(filename, 'rb') as f:
        head = f.read(512)
    again = 'download or save it again'
    if head.startswith(b'PK\x03\x04'):
        try:
            with zipfile.ZipFile(filename) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError):
            return f'it is a zip archive cut short (truncated: an interrupted download?); {again}'
        if not any(n.endswith('/data.pkl') for n in names):
            shown = ', '.join(names[:3]) + (', ...' if len(names) > 3 else '')
            return f'it is a zip archive but not a PyTorch checkpoint (it holds {shown})'
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return f'torch.load fails on it ({reason}); if it is damaged, {again}'
    if head.startswith(b'\x80') and LEGACY_MAGIC in head[:32]:
        return f'it is a PyTorch checkpoint (legacy format) cut short (truncated); {again}'
    if head.startswith(b'\x80'):
        return ('it is a Python pickle that is not a torch.save file, or one cut short '
                f'(truncated); {again}, or re-save its tensors with torch.save')
    try:
        text = head.decode('utf-8')
    except UnicodeDecodeError:
        return f'it is not a PyTorch checkpoint (unknown format, or damaged); {again}'
    if text.startswith('version https://git-lfs'):
        return 'it is a Git LFS pointer, not the file itself; run: git lfs pull'
    if '<html' in text.lower() or '<!doctype' in text.lower():
        return ('it is an HTML page, not a checkpoint (the download returned a web page: a '
                'login, redirect or error page?); download the file itself')
    first = text.strip().splitlines()[0][:60] if text.strip() else ''
    return f'it is a text file, not a checkpoint (it starts with {first!r})'


def _load_openmmlab(filename: str, map_location=None):
    name = filename[len('open-mmlab://'):]
    url = OPENMMLAB_URLS.get(name, 'the OpenMMLab model zoo')
    raise CheckpointError(f'{filename} cannot be downloaded here: download {url} yourself and set '
                          'the checkpoint to its local path')


CheckpointLoader.register_scheme(prefixes='', loader=safe_load, force=True)
CheckpointLoader.register_scheme(prefixes='open-mmlab://', loader=_load_openmmlab, force=True)


def state_dict_of(checkpoint: dict) -> dict:
    """The weights of a checkpoint: its ``state_dict``/``model`` entry, or itself."""
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint.get(key), dict):
            return checkpoint[key]
    return checkpoint


def load_pretrained(module: nn.Module, checkpoint: Optional[str],
                    prefix: Optional[str] = None) -> None:
    """Load weights into ``module`` from a local file, keeping keys under ``prefix``.

    Keys are matched after removing ``prefix`` (e.g. 'backbone.') when given, and a
    leading 'module.' (DDP). Missing and unexpected keys are logged; a file that matches
    no key at all is an error.
    """
    if not checkpoint:
        raise CheckpointError(f'{type(module).__name__} init_cfg Pretrained needs a checkpoint path')
    if checkpoint.startswith('open-mmlab://'):
        _load_openmmlab(checkpoint)
    state = state_dict_of(safe_load(checkpoint))
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
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


def load_model_weights(model: nn.Module, checkpoint: str) -> None:
    """Load a full-model checkpoint strictly: mismatched keys or shapes are an error."""
    if hasattr(model, 'module'):
        model = model.module
    state = state_dict_of(safe_load(checkpoint))
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}'
              for k, v in state.items() if k in own and v.shape != own[k].shape]
    if missing or unexpected or shapes:
        def first(keys):
            return ', '.join(keys[:5]) + (f' (+{len(keys) - 5} more)' if len(keys) > 5 else '')
        parts = [f'{len(missing)} missing keys: {first(missing)}' if missing else '',
                 f'{len(unexpected)} unexpected keys: {first(unexpected)}' if unexpected else '',
                 f'{len(shapes)} shape mismatches: {first(shapes)}' if shapes else '']
        raise CheckpointError(f'{checkpoint} does not fit {type(model).__name__}: '
                              + '; '.join(p for p in parts if p)
                              + '. Is it a checkpoint of this config?')
    model.load_state_dict(state)
    print_log(f'loaded {len(state)} tensors from {checkpoint}', logger='current')
