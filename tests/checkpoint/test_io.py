"""segkit.checkpoint.io: atomic writes, the reader of user-named files; the key check."""
import errno
import os
import threading

import pytest
import torch
from torch import nn

from segkit.checkpoint import check_state_dict, safe_load, save_checkpoint_file, strip_ddp_prefix
from segkit.utils.errors import CheckpointError


def test_a_failed_save_keeps_the_previous_file_and_leaves_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / 'out.pth'
    save_checkpoint_file({'w': torch.ones(2)}, str(path))

    def full_disk(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, 'fsync', full_disk)
    with pytest.raises(CheckpointError, match=f'could not write {path}: No space left on device'):
        save_checkpoint_file({'w': torch.zeros(2)}, str(path))
    monkeypatch.undo()
    with pytest.raises(TypeError, match='cannot pickle'):
        save_checkpoint_file({'w': threading.Lock()}, str(path))
    assert os.listdir(tmp_path) == ['out.pth']
    assert torch.equal(torch.load(path, weights_only=True)['w'], torch.ones(2))


def test_key_check_after_stripping_the_ddp_prefix():
    model = nn.Sequential(nn.Conv2d(1, 2, 1))
    state = strip_ddp_prefix({'module.0.weight': torch.zeros(3, 1, 1, 1), 'module.x': torch.ones(1)})
    report = check_state_dict(state, model)
    assert not report.ok
    assert (report.missing, report.unexpected, report.shape_mismatches) == (
        ['0.bias'], ['x'], ['0.weight'])
    assert report.summary() == ('2 tensors; 1 missing: 0.bias; 1 unexpected: x; 1 shape '
                                'mismatches: 0.weight: checkpoint (3, 1, 1, 1) vs model '
                                '(2, 1, 1, 1)')


def test_a_url_is_refused_with_one_line():
    with pytest.raises(CheckpointError) as info:
        safe_load('https://example.org/r50.pth')
    assert str(info.value) == ('https://example.org/r50.pth: checkpoints are read from local '
                               'files; download it and set the checkpoint to its local path')
