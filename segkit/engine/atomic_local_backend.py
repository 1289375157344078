"""AtomicLocalBackend: mmengine's local file backend, writing through a temp file."""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

from segkit.utils.errors import CheckpointError


class AtomicLocalBackend(LocalBackend):
    """Write to a temp file in the same folder, fsync, then rename over the target.

    A kill or a full disk during a write leaves the previous file (a checkpoint,
    ``last_checkpoint``) intact, never a truncated one. Registered as mmengine's ``local``
    backend, so the Runner's checkpoint saving uses it.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        filepath = str(filepath)
        folder = osp.dirname(filepath) or '.'
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix='.' + osp.basename(filepath) + '.',
                                   suffix='.tmp')
        try:
            with os.fdopen(fd, 'wb') as f:
                f.write(obj)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, filepath)
        except OSError as e:
            if osp.exists(tmp):
                os.remove(tmp)
            raise CheckpointError(f'could not write {filepath}: {e.strerror}; the previous file '
                                  'is unchanged') from None

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)


register_backend('local', AtomicLocalBackend, force=True)
