"""latest_checkpoint: what --resume continues from in a work dir."""
from segkit.apis.train import latest_checkpoint


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
