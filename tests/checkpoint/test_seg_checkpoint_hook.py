"""CheckpointHook: keeps the last N and the best, lists the latest, records what resume needs."""
import os

import pytest
import torch

from segkit.apis import run_train
from segkit.checkpoint import SegCheckpointHook
from segkit.utils.errors import ConfigError

from tests.tiny_training import QUICKSTART, tiny_options


def test_keeps_the_last_checkpoints_and_one_best_with_rng_states(demo_root, tmp_path):
    work = tmp_path / 'work'
    work.mkdir()
    (work / '.iter_9.pth.abc123.tmp').write_bytes(b'left by a killed write')
    run_train(QUICKSTART, work_dir=str(work), cfg_options=tiny_options(demo_root, 'keep', **{
        'train_cfg.max_iters': 3, 'default_hooks.checkpoint.max_keep_ckpts': 2,
        'default_hooks.checkpoint.save_best': 'mIoU'}))

    names = sorted(os.listdir(work))
    assert [n for n in names if n.startswith('iter_')] == ['iter_2.pth', 'iter_3.pth']
    assert len([n for n in names if n.startswith('best_mIoU_iter_')]) == 1
    assert not [n for n in names if n.endswith('.tmp')]
    assert (work / 'last_checkpoint').read_text() == str(work / 'iter_3.pth')
    # segkit checkpoints load with PyTorch's default safe unpickler, no extra allowlist.
    meta = torch.load(work / 'iter_3.pth', weights_only=True)['meta']
    assert meta['iter'] == 3 and meta['model_cfg']['decode_head']['channels'] == 16
    (state,) = meta['rng_states']
    assert set(state) >= {'torch', 'numpy', 'random'}


def test_a_save_best_metric_the_validation_does_not_report_is_named():
    hook = SegCheckpointHook(interval=1, by_epoch=False, save_best='miou', rule='greater')
    with pytest.raises(ConfigError) as error:
        hook._save_best_checkpoint(None, {'aAcc': 90.0, 'mIoU': 70.0})
    assert str(error.value) == (
        "default_hooks.checkpoint.save_best='miou' is not a metric of the validation, which "
        'reports aAcc, mIoU; set save_best to one of them (the checkpoints saved so far are '
        'kept: continue with --resume)')
