"""The recipe's total batch against the actual one: logged at start, --auto-scale-lr."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from segkit.apis import run_train
from segkit.apis.train import total_batch_message
from segkit.utils.errors import ConfigError

from tests.tiny_training import QUICKSTART, tiny_options

LR = Config.fromfile(QUICKSTART).optim_wrapper.optimizer.lr  # the demo recipe's batch is 8


def test_message():
    assert total_batch_message(4, 2, 1, 8, False) == \
        "total batch 8 (4 processes x 2 images), the recipe's"
    assert total_batch_message(1, 2, 1, 8, False) == (
        "total batch 2 (1 process x 2 images); the recipe's is 8 (auto_scale_lr.base_batch_size): "
        'the LR stays as configured; --auto-scale-lr would scale it by 2/8 = 0.25')
    assert total_batch_message(2, 1, 3, 8, True) == (
        "total batch 6 (2 processes x 1 image x 3 accumulated iterations); the recipe's is 8: "
        '--auto-scale-lr scales the LR by 6/8 = 0.75')
    assert total_batch_message(1, 4, 1, None, False) == (
        'total batch 4 (1 process x 4 images); the config states no recipe batch '
        '(auto_scale_lr.base_batch_size)')


def log_text(work_dir: str) -> str:
    logs = glob.glob(osp.join(work_dir, '*', '*.log'))
    assert len(logs) == 1, logs
    with open(logs[0]) as f:
        return f.read()


@pytest.mark.parametrize('scale, accumulation, lr', [
    (False, 1, LR), (True, 1, LR * 2 / 8), (True, 2, LR * 4 / 8)])
def test_auto_scale_lr(demo_root, tmp_path, one_thread, scale, accumulation, lr):
    options = tiny_options(demo_root, f'scale{scale}{accumulation}', **{
        'train_cfg.max_iters': 1, 'default_hooks.checkpoint.interval': 0,
        'optim_wrapper.accumulative_counts': accumulation})
    runner = run_train(QUICKSTART, work_dir=str(tmp_path), cfg_options=options,
                       auto_scale_lr=scale)
    # The schedulers keep the LR they started from (before warm-up) as 'initial_lr'.
    assert runner.optim_wrapper.optimizer.param_groups[0]['initial_lr'] == pytest.approx(lr)
    total = 2 * accumulation
    assert f'total batch {total} (1 process x 2 images' in log_text(str(tmp_path))
    assert runner.cfg.auto_scale_lr == dict(enable=scale, base_batch_size=8)


@pytest.mark.parametrize('setting, message', [
    (None, '--auto-scale-lr (auto_scale_lr.enable): {config} states no recipe batch; add '
     'auto_scale_lr = dict(base_batch_size=N), the total batch its learning rate is for'),
    (dict(base_batch_size=0), '{config}: auto_scale_lr.base_batch_size=0: expected the total '
     'batch of the recipe, a whole number >= 1'),
    (dict(base_batch_size=8, base_batch=8), "{config}: unknown key 'auto_scale_lr.base_batch' "
     "for auto_scale_lr; did you mean 'base_batch_size'?"),
])
def test_bad_recipe_batch(demo_root, tmp_path, setting, message):
    options = tiny_options(demo_root, 'bad_scale', auto_scale_lr=setting)
    with pytest.raises(ConfigError) as error:
        run_train(QUICKSTART, work_dir=str(tmp_path), cfg_options=options, auto_scale_lr=True)
    assert str(error.value) == message.format(config=QUICKSTART)
