import os.path as osp
import runpy

import numpy as np
import pytest

from segkit.analysis.class_weights import class_weights_from_config

from tests.helpers import REPO

TOOL = osp.join(REPO, 'tools', 'analysis', 'class_weights.py')
QUICKSTART = osp.join(REPO, 'configs', 'quickstart.py')


def run_tool(monkeypatch, *args):
    monkeypatch.setattr('sys.argv', [TOOL, *args])
    runpy.run_path(TOOL, run_name='__main__')


def test_prints_pasteable_weights(demo_root, monkeypatch, capsys):
    options = dict(data_root=demo_root, num_train=24, num_val=8, image_size=64)
    run_tool(monkeypatch, QUICKSTART, '--method', 'inverse_log', '--max-images', '6',
             '--cfg-options', *[f'train_dataloader.dataset.{k}={v}' for k, v in options.items()])
    out = capsys.readouterr().out
    last = out.strip().splitlines()[-1]
    assert last.startswith('class_weight=[')
    printed = eval(last[len('class_weight='):])  # the line is valid Python to paste
    expected = class_weights_from_config(
        QUICKSTART, method='inverse_log', max_images=6,
        cfg_options={f'train_dataloader.dataset.{k}': v for k, v in options.items()})['weights']
    np.testing.assert_allclose(printed, expected, atol=5e-5)
    assert 'from 6 label images' in out


def test_user_mistake_is_one_line_error(monkeypatch, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_tool(monkeypatch, osp.join(REPO, 'configs', 'missing.py'))
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith('error: config file not found')
