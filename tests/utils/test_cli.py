import pytest
import torch.distributed as dist

from segkit.utils.cli import run_cli
from segkit.utils.errors import ConfigError


@pytest.fixture
def process_group(tmp_path):
    dist.init_process_group('gloo', init_method=f'file://{tmp_path / "store"}', rank=0,
                            world_size=1)
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


def test_process_group_destroyed_after_success(process_group):
    run_cli(lambda: None)
    assert not dist.is_initialized()


def test_user_mistake_prints_one_line_and_keeps_the_group(process_group, capsys):
    def main():
        raise ConfigError('model.decode_head.channels: expected int, got str')

    with pytest.raises(SystemExit) as exit_info:
        run_cli(main)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        'error: model.decode_head.channels: expected int, got str\n')
    assert dist.is_initialized()
