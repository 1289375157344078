"""Checkpoint files and state dicts: safe loading, key checks, atomic writes.

The one place that reads a checkpoint (``weights_only=True``, with a diagnosis of files
torch cannot read), takes its weights (``state_dict``/``model`` entry, DDP ``module.``
prefix dropped), compares them with a model key by key and shape by shape, loads them
(:func:`load_pretrained`, :func:`load_model_weights`), and writes a file through a temp
file renamed over the target. It imports nothing of segkit but its errors, so backbones,
engine, apis and tools all use it.
"""
import os
import os.path as osp
import pickle
import re
import tempfile
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Dict, List, Mapping, Optional, Sequence

import numpy as np
import torch
from mmengine.logging import print_log
from torch import nn

from .errors import CheckpointError

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

DDP_PREFIX = 'module.'
MAX_LISTED_KEYS = 5
# Temp files are named '.<target name>.<random><TMP_SUFFIX>' beside their target.
TMP_SUFFIX = '.tmp'


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
                                  f'{what_it_is(filename, e)}') from None
        raise CheckpointError(
            f'refusing to load {filename}: it needs arbitrary code to unpickle '
            f'({found.group(1)} is not on the safe list). If you trust this file, convert it '
            'once to a safe file with: python '
            f'tools/model_converters/trust_checkpoint.py {filename} OUTPUT.pth') from None
    except Exception as e:  # the unpickler fails on garbage with any kind of error
        raise CheckpointError(f'cannot read checkpoint {filename}: '
                              f'{what_it_is(filename, e)}') from None


def what_it_is(filename: str, error: Exception) -> str:
    """What a non-empty file that ``torch.load`` cannot read holds, and what to do about it."""
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


def refuse_openmmlab(filename: str, map_location=None):
    """An ``open-mmlab://`` checkpoint: refused (nothing is downloaded), naming its URL."""
    name = filename[len('open-mmlab://'):]
    url = OPENMMLAB_URLS.get(name, 'the OpenMMLab model zoo')
    raise CheckpointError(f'{filename} cannot be downloaded here: download {url} yourself and set '
                          'the checkpoint to its local path')


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
        refuse_openmmlab(checkpoint)
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


def load_model_weights(model: nn.Module, checkpoint: str) -> None:
    """Load a full-model checkpoint strictly: mismatched keys or shapes are an error."""
    if hasattr(model, 'module'):
        model = model.module
    state = strip_ddp_prefix(state_dict_of(safe_load(checkpoint)))
    report = check_state_dict(state, model)
    if not report.ok:
        parts = [f'{len(keys)} {name}: {first_keys(keys)}'
                 for name, keys in (('missing keys', report.missing),
                                    ('unexpected keys', report.unexpected),
                                    ('shape mismatches', report.shape_notes)) if keys]
        raise CheckpointError(f'{checkpoint} does not fit {type(model).__name__}: '
                              + '; '.join(parts)
                              + '. Is it a checkpoint of this config?')
    model.load_state_dict(state)
    print_log(f'loaded {len(state)} tensors from {checkpoint}', logger='current')


def atomic_write(filepath: str, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write`` on a temp file beside ``filepath``, fsync it, rename it over the target.

    A kill or a full disk during the write leaves the previous file intact, never a
    truncated one; the temp file of a failed write is removed.

    Raises:
        CheckpointError: the folder or file cannot be written (naming the file).
    """
    folder = osp.dirname(filepath) or '.'
    tmp = None
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix='.' + osp.basename(filepath) + '.',
                                   suffix=TMP_SUFFIX)
        os.fchmod(fd, _new_file_mode())  # mkstemp makes it private (0600)
        with os.fdopen(fd, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
        tmp = None
        _fsync_folder(folder)
    except OSError as e:
        raise CheckpointError(f'could not write {filepath}: {e.strerror}; the previous file '
                              'is unchanged') from None
    finally:
        if tmp is not None and osp.exists(tmp):
            os.remove(tmp)


def save_checkpoint_file(obj: Any, filepath: str) -> None:
    """``torch.save(obj)`` to ``filepath`` through :func:`atomic_write`."""
    atomic_write(filepath, lambda f: torch.save(obj, f))


def _new_file_mode() -> int:
    """The mode ``open()`` gives a new file: 0666 less the process's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_folder(folder: str) -> None:
    """Make a rename in ``folder`` durable, where the system allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass
