"""Checkpoints named by URL: ``http(s)://``, ``open-mmlab://NAME``, ``torchvision://NAME``.

:func:`resolve_checkpoint` turns any checkpoint name into a local file. A local path is
returned as it is; a URL is downloaded once into the torch hub cache
(``$TORCH_HOME/hub/checkpoints``, where torchvision and mmengine keep theirs) with
``torch.hub.download_url_to_file`` (progress bar; SHA-256 prefix check when the file
name carries one, ``name-<hash>.pth``) and found there by every later run without a
request. A download goes to a temporary file that is checked (a complete zip archive or
legacy PyTorch file, not a web page) before it is renamed into the cache, so an
interrupted or bad transfer never leaves a file a later run would take. When the
download cannot happen, one :class:`CheckpointError` line says why and names the URL and
the path to put the file at by hand.

``open-mmlab://`` names resolve through mmengine's ``hub/openmmlab.json`` (and
``~/.mmengine/open_mmlab.json``), ``torchvision://`` names through torchvision's weight
enums (``resnet50``, ``resnet50.imagenet1k_v1``...). The JSON file named by the
``SEGKIT_CHECKPOINT_URLS`` environment variable, ``{"open-mmlab://NAME": URL, ...}``,
overrides both (a mirror, or a local server).
"""
import difflib
import json
import os
import os.path as osp
import pickletools
import re
import socket
import uuid
import zipfile
from typing import Dict, Optional
from urllib.error import HTTPError, URLError
from urllib.parse import urlparse

import torch
from mmengine.logging import print_log

from segkit.utils.errors import CheckpointError

URL_PREFIXES = ('http://', 'https://')
OPENMMLAB_PREFIXES = ('open-mmlab://', 'openmmlab://')
TORCHVISION_PREFIX = 'torchvision://'
URLS_ENV = 'SEGKIT_CHECKPOINT_URLS'
# torch.hub's convention: 'name-<first hex digits of the SHA-256>.ext'.
HASH_PREFIX = re.compile(r'-([0-9a-f]{6,64})\.[A-Za-z]+$')
STAGING_SUFFIX = '.download'
# Seconds a connection or read may stall before the download is given up (not the total).
STALL_TIMEOUT_S = 60.0


def is_remote(name: Optional[str]) -> bool:
    """Whether ``name`` is a URL or a model-zoo name rather than a local path."""
    return isinstance(name, str) and name.startswith(
        URL_PREFIXES + OPENMMLAB_PREFIXES + (TORCHVISION_PREFIX,))


def checkpoint_url(name: str) -> str:
    """The download URL of a ``http(s)://``, ``open-mmlab://`` or ``torchvision://`` name.

    Raises:
        CheckpointError: a model-zoo name that no table knows (naming close matches).
    """
    overrides = _url_overrides()
    if name in overrides:
        return overrides[name]
    if name.startswith(URL_PREFIXES):
        return name
    if name.startswith(OPENMMLAB_PREFIXES):
        from mmengine.runner.checkpoint import get_deprecated_model_names, get_external_models
        key = name.split('://', 1)[1]
        key = get_deprecated_model_names().get(key, key)
        return _look_up(name, key, get_external_models())
    if name.startswith(TORCHVISION_PREFIX):
        from mmengine.runner.checkpoint import get_torchvision_models
        return _look_up(name, name[len(TORCHVISION_PREFIX):], get_torchvision_models())
    raise CheckpointError(f'{name!r} is not a URL: expected http(s)://, open-mmlab:// or '
                          'torchvision://')


def cache_path(url: str) -> str:
    """Where a download of ``url`` is kept: ``torch.hub.get_dir()/checkpoints/<file name>``."""
    filename = osp.basename(urlparse(url).path)
    if not filename:
        raise CheckpointError(f'{url} names no file (the path ends in /); give the URL of '
                              'the checkpoint file itself')
    return osp.join(torch.hub.get_dir(), 'checkpoints', filename)


def resolve_checkpoint(name: str, progress: bool = True) -> str:
    """A local file for checkpoint ``name``: a local path, or a URL downloaded once.

    Args:
        name: a local path (``~`` expanded), ``http(s)://...``, ``open-mmlab://NAME`` or
            ``torchvision://NAME``.
        progress: show a progress bar while downloading.

    Returns:
        The local path; for a URL, its file in the torch hub cache.

    Raises:
        CheckpointError: an unknown model-zoo name, or a download that failed (why, the
            URL, and where to put the file by hand).
    """
    if not is_remote(name):
        return osp.expanduser(name)
    url = checkpoint_url(name)
    dst = cache_path(url)
    if osp.isfile(dst):
        return dst
    _download(url, dst, progress)
    return dst


def _look_up(name: str, key: str, urls: Dict[str, str]) -> str:
    if key in urls:
        return urls[key]
    close = difflib.get_close_matches(key, list(urls), n=3)
    hint = f'; did you mean {", ".join(close)}?' if close else ''
    raise CheckpointError(f'{name}: unknown model name {key!r} ({len(urls)} known, in the '
                          f'model-zoo table of {name.split("://")[0]}://){hint}')


def _url_overrides() -> Dict[str, str]:
    path = os.environ.get(URLS_ENV)
    if not path:
        return {}
    try:
        with open(path) as f:
            table = json.load(f)
    except (OSError, ValueError) as e:
        raise CheckpointError(f'{URLS_ENV}={path}: cannot read it as JSON ({e})') from None
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise CheckpointError(f'{URLS_ENV}={path}: expected a JSON object of '
                              '{"open-mmlab://NAME": "URL", ...}')
    return table


def _download(url: str, dst: str, progress: bool) -> None:
    """Download ``url`` into a temporary file beside ``dst``, check it, rename it to ``dst``."""
    by_hand = f'download it by hand and put it at {dst}'
    try:
        os.makedirs(osp.dirname(dst), exist_ok=True)
    except OSError as e:
        raise CheckpointError(f'cannot download {url}: the cache folder {osp.dirname(dst)} '
                              f'cannot be made ({e.strerror}); set TORCH_HOME to a writable '
                              f'folder, or {by_hand}') from None
    found = HASH_PREFIX.search(osp.basename(dst))
    staged = f'{dst}.{uuid.uuid4().hex}{STAGING_SUFFIX}'
    print_log(f'downloading {url} to {dst}', logger='current')
    default_timeout = socket.getdefaulttimeout()
    try:
        try:  # download_url_to_file takes no timeout: its sockets use the default one
            socket.setdefaulttimeout(STALL_TIMEOUT_S)
            torch.hub.download_url_to_file(url, staged, hash_prefix=found and found.group(1),
                                           progress=progress)
        except Exception as e:  # urllib and torch raise many kinds; each becomes one line
            raise CheckpointError(f'cannot download {url}: {_why(e)}; {by_hand}') from None
        finally:
            socket.setdefaulttimeout(default_timeout)
        problem = _not_a_checkpoint(staged)
        if problem:
            raise CheckpointError(f'cannot download {url}: {problem}; {by_hand}')
        os.replace(staged, dst)
    finally:
        if osp.exists(staged):
            os.remove(staged)


def _why(error: Exception) -> str:
    """Why a transfer failed, in a few words."""
    if isinstance(error, HTTPError):
        return f'the server answered HTTP {error.code} {error.reason}'
    reason = error.reason if isinstance(error, URLError) else error
    if isinstance(reason, socket.gaierror):
        return f'no network, or the host name does not resolve ({reason.strerror})'
    if isinstance(reason, ConnectionRefusedError):
        return 'the connection was refused (no server at that address and port)'
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f'the server sent nothing for {STALL_TIMEOUT_S:g} s (timed out)'
    hashes = re.search(r'invalid hash value \(expected "(\w+)", got "(\w+)"\)', str(error))
    if hashes:
        return (f'hash mismatch: the file name promises SHA-256 {hashes.group(1)}..., the '
                f'received file has {hashes.group(2)[:len(hashes.group(1))]}... (a changed '
                'or damaged file)')
    if isinstance(reason, OSError) and reason.strerror:
        return f'{reason.strerror} ({type(reason).__name__})'
    return f'{type(error).__name__}: {error}'


def _legacy_pickles_complete(path: str) -> bool:
    """Whether the five pickles of a legacy ``torch.save`` file (magic number, protocol,
    system info, the object, the storage keys) are all there; parsed, never run."""
    with open(path, 'rb') as f:
        try:
            for _ in range(5):
                for _ in pickletools.genops(f):
                    pass
        except ValueError:  # the data ended inside a pickle
            return False
    return True


def _not_a_checkpoint(path: str) -> Optional[str]:
    """Why a downloaded file is no complete PyTorch checkpoint, or None when it is one."""
    from .io import LEGACY_MAGIC, safe_load
    size = osp.getsize(path)
    with open(path, 'rb') as f:
        head = f.read(512)
    if head.startswith(b'PK\x03\x04'):
        try:
            with zipfile.ZipFile(path):
                return None
        except (zipfile.BadZipFile, OSError):
            return f'the transfer was truncated (a zip archive cut short after {size} bytes)'
    if head.startswith(b'\x80') and LEGACY_MAGIC in head[:32]:
        try:
            safe_load(path)  # the legacy format has no index to check; loading proves it
            return None
        except CheckpointError as e:  # an unsafe but whole file: loading it later says so
            if str(e).startswith('refusing') and _legacy_pickles_complete(path):
                return None
        return f'the transfer was truncated (a legacy PyTorch file cut short at {size} bytes)'
    text = head.decode('utf-8', errors='replace').lower()
    if '<html' in text or '<!doctype' in text:
        return 'the server sent an HTML page, not a checkpoint (a login, error or redirect page?)'
    if size == 0:
        return 'the server sent an empty file'
    return f'what the server sent ({size} bytes) is not a PyTorch checkpoint'
