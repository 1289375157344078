"""AtomicLocalBackend: mmengine's local file backend, writing through a temp file."""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

from segkit.utils.errors import CheckpointError

# Temp files are named '.<target name>.<random><TMP_SUFFIX>' beside their target.
TMP_SUFFIX = '.tmp'


class AtomicLocalBackend(LocalBackend):
    """Write to a temp file in the same folder, fsync, then rename over the target.

    A kill or a full disk during a write leaves the previous file (a checkpoint,
    ``last_checkpoint``) intact, never a truncated one. Registered as mmengine's ``local``
    backend and for paths without a prefix, so the Runner's checkpoint saving uses it.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        filepath = str(filepath)
        folder = osp.dirname(filepath) or '.'
        tmp = None
        try:
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix='.' + osp.basename(filepath) + '.',
                                       suffix=TMP_SUFFIX)
            os.fchmod(fd, _new_file_mode())  # mkstemp makes it private (0600)
            with os.fdopen(fd, 'wb') as f:
                f.write(obj)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, filepath)
            _fsync_folder(folder)
        except OSError as e:
            if tmp is not None and osp.exists(tmp):
                os.remove(tmp)
            raise CheckpointError(f'could not write {filepath}: {e.strerror}; the previous file '
                                  'is unchanged') from None

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)


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


register_backend('local', AtomicLocalBackend, force=True, prefixes='')
