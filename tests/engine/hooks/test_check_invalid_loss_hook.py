"""A NaN or infinite loss stops training before the optimizer step; no checkpoint holds one."""
import os
import os.path as osp

import pytest
import torch

from segkit.apis import run_train
from segkit.utils.errors import TrainingError

from tests.tiny_training import QUICKSTART, tiny_options


def train(demo_root: str, work_dir: str, name: str, **overrides):
    return run_train(QUICKSTART, work_dir=work_dir,
                     cfg_options=tiny_options(demo_root, name, **{'train_cfg.val_begin': 100,
                                                                  **overrides}))


def test_nan_loss_stops_before_the_first_step(demo_root, tmp_path):
    with pytest.raises(TrainingError) as info:
        train(demo_root, str(tmp_path), 'nan-loss',
              **{'model.decode_head.loss_decode.loss_weight': float('nan')})
    assert str(info.value) == (
        'loss decode.loss_ce is nan at iteration 1: training stopped before the optimizer step. '
        'No checkpoint was saved. Lower the learning rate, or look at the losses logged before')
    assert not [name for name in os.listdir(tmp_path) if name.endswith('.pth')]


def test_weights_made_infinite_by_a_step_are_not_saved(demo_root, tmp_path):
    # A huge learning rate: iteration 1 is saved, then BN statistics overflow.
    with pytest.raises(TrainingError) as info:
        train(demo_root, str(tmp_path), 'huge-lr',
              **{'optim_wrapper.optimizer.lr': 1e12, 'train_cfg.max_iters': 4})
    message = str(info.value)
    assert message.startswith('the model is not finite after iteration 2 (') or \
        message.startswith('loss decode.loss_ce is ')
    assert f'The last checkpoint, {tmp_path}/iter_1.pth, is intact.' in message
    for name in os.listdir(tmp_path):
        if name.endswith('.pth'):
            state = torch.load(osp.join(tmp_path, name), weights_only=True)['state_dict']
            assert all(value.isfinite().all() for value in state.values()), name
