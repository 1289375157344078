"""Weights that do not fit: one summary line per load, refused when most of the model is left."""
import glob
import os.path as osp
import uuid

import pytest
import torch
from torch import nn

from segkit.apis import run_train
from segkit.checkpoint import check_state_dict, load_pretrained
from segkit.checkpoint.state_dict import allow_partial_loads, check_fit
from segkit.utils.errors import CheckpointError, ConfigError

from tests.tiny_training import QUICKSTART, tiny_options

REFUSAL = ('. Refusing to leave most of the model at its initialisation: is it the right '
           'checkpoint for this model? If that is intended, set allow_partial_load = True in '
           'the config')


def tiny_model(hidden: int) -> nn.Module:
    return nn.Sequential(nn.Linear(4, 2), nn.Linear(2, hidden))


def test_summary_counts_loaded_missing_mismatched_and_unused():
    state = {'0.weight': torch.ones(2, 4), '0.bias': torch.ones(2), '1.weight': torch.ones(9, 2),
             'extra': torch.ones(1)}
    report = check_state_dict(state, tiny_model(3))
    assert report.fitting == ['0.weight', '0.bias']
    assert report.fitting_share == pytest.approx(10 / 19)
    assert report.load_line('a.pth', 'Sequential') == (
        'a.pth: loaded 2 of 4 tensors of Sequential (53% of its values); 1 missing: 1.bias; '
        '1 mismatched: 1.weight: checkpoint (9, 2) vs model (3, 2); 1 unused: extra')


def test_a_load_that_leaves_most_of_the_model_is_refused_unless_allowed():
    state = {'0.bias': torch.ones(2), '1.weight': torch.ones(9, 2), '1.bias': torch.ones(9)}
    model = tiny_model(30)  # 8 + 2 values fit, 60 + 30 do not
    with pytest.raises(CheckpointError) as info:
        check_fit(state, model, 'b.pth')
    assert str(info.value) == (
        'b.pth: loaded 1 of 4 tensors of Sequential (2% of its values); 1 missing: 0.weight; '
        '2 mismatched: 1.weight: checkpoint (9, 2) vs model (30, 2), 1.bias: checkpoint (9,) '
        'vs model (30,); 0 unused' + REFUSAL)
    assert check_fit(state, model, 'b.pth', allow_partial=True).fitting == ['0.bias']


def test_pretrained_loads_what_fits_and_follows_the_runs_setting(tmp_path):
    path = str(tmp_path / 'w.pth')
    source = tiny_model(30)
    torch.save({'state_dict': {'0.weight': source[0].weight.detach(), '1.bias': torch.ones(5)}},
               path)
    target = tiny_model(30)
    with pytest.raises(CheckpointError, match='^' + path + r': loaded 1 of 4 tensors'):
        load_pretrained(target, path)
    allow_partial_loads(True)
    try:
        load_pretrained(target, path)  # no size-mismatch error from torch
    finally:
        allow_partial_loads(False)
    assert torch.equal(target[0].weight, source[0].weight)


def log_text(work_dir: str) -> str:
    (log,) = glob.glob(osp.join(work_dir, '*', '*.log'))
    with open(log) as f:
        return f.read()


@pytest.fixture(scope='module')
def tiny_checkpoint(demo_root, tmp_path_factory) -> str:
    work = tmp_path_factory.mktemp('source')
    run_train(QUICKSTART, work_dir=str(work), cfg_options=tiny_options(
        demo_root, f'partial-{uuid.uuid4().hex[:8]}', **{'train_cfg.max_iters': 1}))
    return str(work / 'iter_1.pth')


def train_from(checkpoint: str, demo_root: str, work, **overrides):
    return run_train(QUICKSTART, work_dir=str(work), cfg_options=tiny_options(
        demo_root, f'partial-{uuid.uuid4().hex[:8]}', load_from=checkpoint,
        **{'train_cfg.max_iters': 1, 'default_hooks.checkpoint.interval': 0, **overrides}))


def test_load_from_a_model_with_another_head_width_trains_with_one_line(
        tiny_checkpoint, demo_root, tmp_path):
    train_from(tiny_checkpoint, demo_root, tmp_path, **{'model.decode_head.channels': 8})
    log = log_text(str(tmp_path))
    (line,) = [line for line in log.splitlines() if f'{tiny_checkpoint}: loaded ' in line]
    assert ' tensors of EncoderDecoder (' in line and '; 0 missing; ' in line
    assert 'decode_head.conv_seg.weight: checkpoint (5, 16, 1, 1) vs model (5, 8, 1, 1)' in line
    assert 'size mismatch' not in log and 'do not match exactly' not in log


def test_load_from_a_narrower_model_is_refused_then_allowed(tiny_checkpoint, demo_root,
                                                              tmp_path):
    narrower = {'model.backbone.base_channels': 8, 'model.backbone.stem_channels': 8,
                'model.decode_head.in_channels': 64}
    with pytest.raises(CheckpointError) as info:
        train_from(tiny_checkpoint, demo_root, tmp_path / 'refused', **narrower)
    message = str(info.value)
    assert message.startswith(f'{tiny_checkpoint}: loaded ') and message.endswith(REFUSAL)
    assert '\n' not in message

    train_from(tiny_checkpoint, demo_root, tmp_path / 'allowed', allow_partial_load=True,
               **narrower)
    assert f'{tiny_checkpoint}: loaded ' in log_text(str(tmp_path / 'allowed'))


def test_allow_partial_load_must_be_a_bool(demo_root, tmp_path):
    with pytest.raises(ConfigError) as info:
        train_from(None, demo_root, tmp_path, allow_partial_load='yes')
    assert str(info.value) == ("allow_partial_load='yes': expected True (checkpoints may leave "
                               'most of the model at its initialisation) or False')
