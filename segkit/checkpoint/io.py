"""Checkpoint files: the one reader of user-named files, diagnosis, atomic writes.

:func:`safe_load` reads every checkpoint file a user names; it resolves the name with
:func:`local_checkpoint`, the one place where a name becomes a local file (a URL is
downloaded once, see :mod:`.download`).
"""
import os
import os.path as osp
import pickle
import re
import tempfile
import zipfile
from typing import IO, Any, Callable

import numpy as np
import torch
from mmengine.logging import print_log

from segkit.utils.errors import CheckpointError

from .download import is_remote, resolve_checkpoint

NUMPY_SAFE_GLOBALS = [np._core.multiarray._reconstruct, np.ndarray, np.dtype,
                      np._core.multiarray.scalar,
                      *(getattr(np.dtypes, name) for name in dir(np.dtypes)
                        if name.endswith('DType'))]

# How torch.save's legacy (non-zip) format starts: the pickled magic number.
LEGACY_MAGIC = pickle.dumps(torch.serialization.MAGIC_NUMBER, protocol=2)[2:]

# Temp files are named '.<target name>.<random><TMP_SUFFIX>' beside their target.
TMP_SUFFIX = '.tmp'


def local_checkpoint(name: str) -> str:
    """The local file of a user-named checkpoint, checked to exist: a path (``~``
    expanded), or an ``http(s)://``, ``open-mmlab://`` or ``torchvision://`` name
    downloaded once into the torch hub cache (:func:`.download.resolve_checkpoint`).

    Raises:
        CheckpointError: another URL scheme (``s3://``...), an unknown model-zoo name, a
            download that failed (one line: why, the URL, where to put the file by hand), or
            no such file.
    """
    if '://' in name and not is_remote(name):
        raise CheckpointError(f'{name}: checkpoints are read from local files, http(s)://, '
                              'open-mmlab:// and torchvision:// names; download it and set the '
                              'checkpoint to its local path')
    filename = resolve_checkpoint(name)
    if not osp.isfile(filename):
        raise CheckpointError(f'checkpoint not found: {name}')
    return filename


def safe_load(name: str, map_location='cpu') -> dict:
    """Read the checkpoint ``name`` with ``torch.load(weights_only=True)``.

    Every checkpoint file a user names (``load_from``/``resume``, ``pretrained``/``init_cfg``,
    ``tools/test.py CHECKPOINT``, ``init_model``, the converters) is read here. A file that
    torch cannot read is diagnosed (empty, truncated, a web page, a Git LFS pointer, a zip
    or pickle that ``torch.save`` did not write); only a genuine pickle needing code is sent
    to ``trust_checkpoint.py``.
    """
    filename = local_checkpoint(name)
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
    """What a file that ``torch.load`` cannot read holds, and what to do about it."""
    if osp.getsize(filename) == 0:
        return ('the file is empty (0 bytes; an interrupted download or copy?); download or '
                'copy it again')
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


def remove_partial_writes(folder: str) -> None:
    """Delete the temp files that writes cut short by a kill left in ``folder``."""
    if not osp.isdir(folder):
        return
    for name in os.listdir(folder):
        if name.startswith('.') and name.endswith(TMP_SUFFIX):
            os.remove(osp.join(folder, name))
            print_log(f'removed {osp.join(folder, name)}, left by an interrupted write',
                      logger='current')
