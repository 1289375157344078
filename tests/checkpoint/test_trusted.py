"""trust_checkpoint: a pickle that safe_load refuses becomes a weights-only file."""
import argparse
import os.path as osp
import runpy
from collections import OrderedDict

import numpy as np
import pytest
import torch
from torch import nn

from segkit.checkpoint import plain_data, trust_checkpoint
from segkit.checkpoint import safe_load
from segkit.utils.errors import CheckpointError
from tests.helpers import REPO

TOOL = osp.join(REPO, 'tools', 'model_converters', 'trust_checkpoint.py')


@pytest.fixture
def unsafe_checkpoint(tmp_path) -> tuple:
    """A checkpoint whose meta holds an argparse.Namespace, as older tools saved."""
    state = OrderedDict(weight=torch.randn(3, 2), bias=nn.Parameter(torch.zeros(3)))
    checkpoint = {'state_dict': state,
                  'meta': {'args': argparse.Namespace(lr=0.01), 'iter': np.int64(40),
                           'classes': ('road', 'car'), 'hist': np.arange(4, dtype=np.float32)}}
    path = str(tmp_path / 'unsafe.pth')
    torch.save(checkpoint, path)
    return path, state


def test_safe_load_refuses_it_and_names_the_tool(unsafe_checkpoint):
    with pytest.raises(CheckpointError, match='trust_checkpoint.py'):
        safe_load(unsafe_checkpoint[0])


def test_keeps_tensors_and_plain_data_drops_the_rest(unsafe_checkpoint, tmp_path):
    path, state = unsafe_checkpoint
    out = str(tmp_path / 'safe.pth')
    dropped = trust_checkpoint(path, out)
    assert dropped == ['meta.args (argparse.Namespace)']
    loaded = safe_load(out)
    assert list(loaded['state_dict']) == ['weight', 'bias']
    assert torch.equal(loaded['state_dict']['weight'], state['weight'])
    assert type(loaded['state_dict']['bias']) is torch.Tensor  # no Parameter
    assert loaded['meta']['iter'] == 40 and type(loaded['meta']['iter']) is int
    assert loaded['meta']['classes'] == ('road', 'car')
    assert torch.equal(loaded['meta']['hist'], torch.arange(4, dtype=torch.float32))


def test_a_pickled_module_becomes_its_state_dict(tmp_path):
    conv = nn.Conv2d(2, 3, 1)
    torch.save(conv, str(tmp_path / 'module.pth'))
    assert trust_checkpoint(str(tmp_path / 'module.pth'), str(tmp_path / 'out.pth')) == []
    loaded = safe_load(str(tmp_path / 'out.pth'))
    assert list(loaded) == ['weight', 'bias']
    assert torch.equal(loaded['weight'], conv.weight.detach())
    nn.Conv2d(2, 3, 1).load_state_dict(loaded)


def test_nothing_plain_is_an_error(tmp_path):
    torch.save(argparse.Namespace(a=1), str(tmp_path / 'ns.pth'))
    with pytest.raises(CheckpointError, match='no tensors or plain data'):
        trust_checkpoint(str(tmp_path / 'ns.pth'), str(tmp_path / 'out.pth'))
    with pytest.raises(CheckpointError, match='not found'):
        trust_checkpoint(str(tmp_path / 'missing.pth'), str(tmp_path / 'out.pth'))


def test_plain_data_rebuilds_containers():
    data, dropped = plain_data({'a': [np.float32(1.5), {'b': object()}], 1: (None, 'x')})
    assert data == {'a': [1.5, {}], 1: (None, 'x')}
    assert dropped == ['a[1].b (builtins.object)']


def test_tool_warns_and_reports(unsafe_checkpoint, tmp_path, monkeypatch, capsys):
    out = str(tmp_path / 'safe.pth')
    monkeypatch.setattr('sys.argv', [TOOL, unsafe_checkpoint[0], out])
    runpy.run_path(TOOL, run_name='__main__')
    captured = capsys.readouterr()
    assert 'WARNING' in captured.err and 'executes any code' in captured.err
    assert 'left out 1 value(s) that are not plain data: meta.args' in captured.out
    assert set(safe_load(out)) == {'state_dict', 'meta'}
