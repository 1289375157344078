"""Resume checks: what --resume continues from, and whether the model is the same."""
import pytest

from segkit.checkpoint import check_same_model, latest_checkpoint
from segkit.utils.errors import ConfigError


def test_listed_checkpoint_then_newest_iteration_then_none(tmp_path, capsys):
    assert latest_checkpoint(str(tmp_path)) is None
    assert latest_checkpoint(str(tmp_path / 'absent')) is None
    for name in ('iter_9.pth', 'iter_10.pth', 'best_mIoU_iter_12.pth'):
        (tmp_path / name).write_bytes(b'')
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_10.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_9.pth'))
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_9.pth')
    (tmp_path / 'iter_9.pth').unlink()  # listed, then deleted
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_10.pth')
    assert capsys.readouterr().out == ''


def test_same_model_treats_a_saved_list_as_the_tuple_it_was():
    check_same_model({'head': {'dilations': [1, 6], 'test_cfg': 'a'}},
                     {'head': {'dilations': (1, 6), 'test_cfg': 'b'}}, 'c.pth')
    with pytest.raises(ConfigError, match=r'\(model.head.dilations\[1\] was 6, now 12\)'):
        check_same_model({'head': {'dilations': [1, 6]}}, {'head': {'dilations': (1, 12)}},
                         'c.pth')
