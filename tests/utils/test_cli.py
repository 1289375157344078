import argparse
import os

import pytest
import torch
import torch.distributed as dist

from segkit.utils.cli import CfgOptionsAction, run_cli
from segkit.utils.errors import ConfigError


def native_threads() -> int:
    return len(os.listdir('/proc/self/task'))


@pytest.fixture
def process_group(tmp_path):
    dist.init_process_group('gloo', init_method=f'file://{tmp_path / "store"}', rank=0,
                            world_size=1)
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


@pytest.mark.skipif(not os.path.isdir('/proc/self/task'), reason='counts threads in /proc')
def test_process_group_and_its_threads_gone_after_success(tmp_path):
    before = native_threads()
    dist.init_process_group('gloo', init_method=f'file://{tmp_path / "store"}', rank=0,
                            world_size=1)

    def main():
        holder = [dist.group.WORLD]
        holder.append(holder)  # held in a reference cycle, as the DDP model holds it
        dist.all_reduce(torch.ones(3))

    assert native_threads() > before  # gloo's worker threads
    run_cli(main)
    assert not dist.is_initialized()
    assert native_threads() == before


def test_user_mistake_prints_one_line_and_keeps_the_group(process_group, capsys):
    def main():
        raise ConfigError('model.decode_head.channels: expected int, got str')

    with pytest.raises(SystemExit) as exit_info:
        run_cli(main)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        'error: model.decode_head.channels: expected int, got str\n')
    assert dist.is_initialized()


def _cfg_options(*items):
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    return parser.parse_args(['--cfg-options', *items]).cfg_options


def test_cfg_options_read_dicts_as_configs_write_them():
    assert _cfg_options(
        "visualizer.vis_backends=[dict(type='LocalVisBackend'), "
        "dict(type='WandbVisBackend', init_kwargs=dict(project='segkit'))]",
        "model.test_cfg=dict(mode='slide', crop_size=(64, 64), stride=(32, 32))",
        'train_cfg.max_iters=3') == {
        'train_cfg.max_iters': 3,
        'visualizer.vis_backends': [dict(type='LocalVisBackend'), dict(
            type='WandbVisBackend', init_kwargs=dict(project='segkit'))],
        'model.test_cfg': dict(mode='slide', crop_size=(64, 64), stride=(32, 32))}


def test_cfg_options_dict_of_a_name_is_one_argparse_error(capsys):
    with pytest.raises(SystemExit):
        _cfg_options('model.test_cfg=dict(mode=slide)')
    assert capsys.readouterr().err.splitlines()[-1].endswith(
        "error: argument --cfg-options: cannot parse 'model.test_cfg=dict(mode=slide)': slide "
        'is not a literal (strings need quotes); dict(...) values take literals only '
        '(numbers, quoted strings, True/False/None, lists, tuples, dict(...))')
