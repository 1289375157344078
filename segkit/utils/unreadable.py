"""Say why a file could not be read: missing, empty, or not what it should be."""
import os.path as osp

import numpy as np
from PIL import Image

from .errors import DataError


def why_unreadable(path: str, kind: str, error: Exception) -> str:
    """What is wrong with ``path``, which should be a ``kind`` (such as 'JSON file') and
    whose reader raised ``error``: the file is missing, empty, or damaged or of another
    kind (with the reader's first line)."""
    if not osp.isfile(path):
        return 'no such file'
    if osp.getsize(path) == 0:
        return 'the file is empty (0 bytes: an interrupted download, copy or extraction?)'
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    reason = lines[0][:160] if lines else type(error).__name__
    return f'it is not a readable {kind}, or it is damaged ({reason})'


def read_png(path: str, failed: str) -> np.ndarray:
    """The pixels of the PNG image ``path``; a file PIL cannot read is a DataError
    ``'<failed> <path>: <why>'`` (e.g. ``failed='cannot convert'``)."""
    try:
        return np.asarray(Image.open(path))
    except (OSError, SyntaxError, ValueError) as e:  # PIL's errors for damaged files
        raise DataError(f'{failed} {path}: {why_unreadable(path, "PNG image", e)}') from None
