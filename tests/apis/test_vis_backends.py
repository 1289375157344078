import importlib.util

import pytest

from segkit.apis.runner_cfg import prepare_cfg
from segkit.utils.errors import ConfigError
from tests.demo_model import demo_config

TENSORBOARD = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]


def test_tensorboard_backend_needs_the_package(demo_root, tmp_path):
    config = demo_config(demo_root, str(tmp_path / 'cfg.py'),
                         {'visualizer.vis_backends': TENSORBOARD})
    if importlib.util.find_spec('tensorboard') is None:
        with pytest.raises(ConfigError, match='pip install tensorboard'):
            prepare_cfg(config, work_dir=str(tmp_path))
    else:
        assert prepare_cfg(config, work_dir=str(tmp_path)).visualizer.vis_backends == TENSORBOARD
    assert prepare_cfg(demo_config(demo_root, str(tmp_path / 'local.py')),
                       work_dir=str(tmp_path)).visualizer.vis_backends[0].type == 'LocalVisBackend'
