"""AtomicLocalBackend: mmengine saves through it; a failed write leaves the old file intact."""
import errno
import os

import pytest
from mmengine.fileio import get_file_backend

from segkit.checkpoint import AtomicLocalBackend
from segkit.utils.errors import CheckpointError


def test_is_the_backend_of_plain_paths(tmp_path):
    assert isinstance(get_file_backend(str(tmp_path / 'iter_1.pth')), AtomicLocalBackend)


def test_writes_with_the_usual_permissions(tmp_path):
    path = tmp_path / 'last_checkpoint'
    AtomicLocalBackend().put_text('iter_1.pth', str(path))
    umask = os.umask(0)
    os.umask(umask)
    assert path.read_text() == 'iter_1.pth'
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / 'iter_1.pth'
    backend = AtomicLocalBackend()
    backend.put(b'complete checkpoint', str(path))

    def full_disk(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, 'fsync', full_disk)
    with pytest.raises(CheckpointError) as info:
        backend.put(b'half a checkpoint', str(path))
    assert str(info.value) == (f'could not write {path}: No space left on device; the previous '
                               'file is unchanged')
    assert path.read_bytes() == b'complete checkpoint'
    assert os.listdir(tmp_path) == ['iter_1.pth']
