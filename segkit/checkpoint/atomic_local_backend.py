"""AtomicLocalBackend: mmengine's local file backend, writing through a temp file."""
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend

from .io import atomic_write


class AtomicLocalBackend(LocalBackend):
    """Write to a temp file in the same folder, fsync, then rename over the target.

    A kill or a full disk during a write leaves the previous file (a checkpoint,
    ``last_checkpoint``) intact, never a truncated one (see
    :func:`segkit.checkpoint.io.atomic_write`). :func:`segkit.checkpoint.install` registers
    it as mmengine's ``local`` backend, so the Runner's checkpoint saving uses it.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write(str(filepath), lambda f: f.write(obj))

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)

