"""MMSegmentation checkpoints: exact key layout of the shipped configs, and a full round trip."""
import os.path as osp
import runpy
from collections import OrderedDict

import pytest
import torch
from torch import nn

from segkit.checkpoint import (build_model_skeleton, check_state_dict, convert_mmseg_checkpoint,
                               load_model_weights, mmseg_origin, safe_load)
from segkit.config import load_config
from segkit.registry import MODELS
from segkit.utils.errors import CheckpointError
from tests.checkpoint import mmseg_reference_keys as ref
from tests.helpers import REPO

TOOL = osp.join(REPO, 'tools', 'model_converters', 'mmseg2segkit.py')
QUICKSTART = osp.join(REPO, 'configs', 'quickstart.py')
NONLOCAL_DEMO = osp.join(REPO, 'configs', 'nonlocal_r18_demo.py')


@pytest.mark.parametrize('config, head, depth, num_classes', [
    ('deeplabv3_r50_cityscapes', 'deeplabv3', 50, 19),
    ('deeplabv3_r101_cityscapes', 'deeplabv3', 101, 19),
    ('deeplabv3_r101_voc', 'deeplabv3', 101, 21),
    ('deeplabv3plus_r50_cityscapes', 'deeplabv3plus', 50, 19),
    ('deeplabv3plus_r101_cityscapes', 'deeplabv3plus', 101, 19),
    ('deeplabv3plus_r101_voc', 'deeplabv3plus', 101, 21),
    ('nonlocal_r50_cityscapes', 'nonlocal', 50, 19),
    ('nonlocal_r101_cityscapes', 'nonlocal', 101, 19),
    ('nonlocal_r101_voc', 'nonlocal', 101, 21),
])
def test_shipped_configs_have_mmsegs_exact_keys_and_shapes(config, head, depth, num_classes):
    # on the 'meta' device: no memory
    model = build_model_skeleton(load_config(osp.join(REPO, 'configs', f'{config}.py')))
    own = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    expected = ref.mmseg_model(head, depth, num_classes)
    assert sorted(set(own) ^ set(expected)) == []
    assert own == expected
    meta_state = {k: torch.empty(shape, device='meta') for k, shape in expected.items()}
    assert check_state_dict(meta_state, model).ok


def build(config: str) -> nn.Module:
    """A real model of ``config``: random weights and BN statistics, eval mode."""
    model = MODELS.build(load_config(config).model)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.weight.data.uniform_(0.5, 1.5)  # conv_out's zero init too: the block acts
            module.running_mean.normal_(std=0.1)
            module.running_var.uniform_(0.5, 2.0)
    return model.eval()


def logits(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(inputs, mode='tensor')


def save_mmseg_checkpoint(model: nn.Module, expected: dict, path: str, prefix: str = '') -> None:
    """A checkpoint as MMSegmentation writes it: 'meta' and 'state_dict' in its key layout."""
    own = model.state_dict()
    state = OrderedDict((prefix + k, own[k].clone()) for k in expected)
    meta = dict(mmseg_version='1.2.2', mmcv_version='2.1.0', iter=80000, config='...',
                dataset_meta=dict(classes=('a', 'b', 'c', 'd', 'e'), palette=[[0, 0, 0]] * 5))
    torch.save({'meta': meta, 'state_dict': state}, path)


@pytest.mark.parametrize('config, head', [(QUICKSTART, 'deeplabv3'), (NONLOCAL_DEMO, 'nonlocal')],
                         ids=['deeplabv3', 'nonlocal'])
def test_round_trip_gives_identical_logits(config, head, tmp_path):
    if config == QUICKSTART:  # the quick start is half width; MMSegmentation's R-18 is not
        config = str(tmp_path / 'quickstart_full_width.py')
        with open(config, 'w') as f:
            f.write(f'_base_ = [{QUICKSTART!r}]\nmodel = dict(backbone=dict(stem_channels=64, '
                    'base_channels=64), decode_head=dict(in_channels=512))\n')
    torch.manual_seed(0)
    source = build(config)
    cfg = load_config(config).model.decode_head
    decode = ref.aspp_head if head == 'deeplabv3' else ref.nl_head
    extra = dict(num_rates=len(cfg.dilations)) if head == 'deeplabv3' else {}
    expected = {**ref.resnet_v1c(18), **decode(512, cfg.channels, cfg.num_classes, **extra)}
    assert {k: tuple(v.shape) for k, v in source.state_dict().items()} == expected

    mmseg_path, out_path = str(tmp_path / 'mmseg.pth'), str(tmp_path / 'segkit.pth')
    save_mmseg_checkpoint(source, expected, mmseg_path)
    report = convert_mmseg_checkpoint(mmseg_path, load_config(config), out_path)
    assert report.ok and report.num_tensors == len(expected)
    converted = safe_load(out_path)
    assert list(converted) == ['state_dict']  # 'meta' stripped

    target = build(config)
    inputs = torch.randn(1, 3, 64, 64)
    assert not torch.equal(logits(target, inputs), logits(source, inputs))
    load_model_weights(target, out_path)
    assert torch.equal(logits(target, inputs), logits(source, inputs))


@pytest.fixture(scope='module')
def nonlocal_checkpoint(tmp_path_factory):
    """A NonLocal demo model and its checkpoint in MMSegmentation's layout."""
    model = build(NONLOCAL_DEMO)
    path = str(tmp_path_factory.mktemp('mmseg') / 'nonlocal.pth')
    save_mmseg_checkpoint(model, list(model.state_dict()), path)
    return model, path


def test_ddp_prefix_is_stripped(nonlocal_checkpoint, tmp_path):
    model, _ = nonlocal_checkpoint
    keys = list(model.state_dict())
    save_mmseg_checkpoint(model, keys, str(tmp_path / 'ddp.pth'), prefix='module.')
    convert_mmseg_checkpoint(str(tmp_path / 'ddp.pth'), load_config(NONLOCAL_DEMO),
                             str(tmp_path / 'out.pth'))
    assert list(safe_load(str(tmp_path / 'out.pth'))['state_dict']) == keys


def test_wrong_config_reports_keys_and_writes_nothing(nonlocal_checkpoint, tmp_path):
    out = tmp_path / 'out.pth'
    with pytest.raises(CheckpointError) as info:
        convert_mmseg_checkpoint(nonlocal_checkpoint[1], load_config(QUICKSTART), str(out))
    message = str(info.value)
    assert 'missing: decode_head.image_pool.1.conv.weight' in message
    assert 'unexpected: decode_head.convs.0.conv.weight' in message
    assert not out.exists()


def test_shape_mismatch_is_reported(nonlocal_checkpoint, tmp_path):
    state = nonlocal_checkpoint[0].state_dict()
    state['decode_head.conv_seg.weight'] = torch.zeros(19, 128, 1, 1)
    torch.save({'state_dict': state}, str(tmp_path / 'c19.pth'))
    with pytest.raises(CheckpointError, match=r'1 shape mismatches: decode_head.conv_seg.weight: '
                                              r'checkpoint \(19, 128, 1, 1\) vs model \(5, 128'):
        convert_mmseg_checkpoint(str(tmp_path / 'c19.pth'), load_config(NONLOCAL_DEMO),
                                 str(tmp_path / 'out.pth'))


def test_tool(nonlocal_checkpoint, tmp_path, monkeypatch, capsys):
    model, path = nonlocal_checkpoint
    out = str(tmp_path / 'out.pth')
    monkeypatch.setattr('sys.argv', [TOOL, path, NONLOCAL_DEMO, out])
    runpy.run_path(TOOL, run_name='__main__')
    assert f'wrote {out}: {len(model.state_dict())} tensors; 0 missing; 0 unexpected; ' \
           '0 shape mismatches' in capsys.readouterr().out

    monkeypatch.setattr('sys.argv', [TOOL, path, QUICKSTART, out])
    with pytest.raises(SystemExit) as info:
        runpy.run_path(TOOL, run_name='__main__')
    assert info.value.code == 2
    assert f'error: {path} does not fit {QUICKSTART}' in capsys.readouterr().err


def test_mmseg_checkpoints_are_recognised_on_load(nonlocal_checkpoint):
    model, path = nonlocal_checkpoint
    assert mmseg_origin(safe_load(path)) == 'MMSegmentation 1.2.2'  # 0.x-style meta
    assert mmseg_origin({'meta': {'cfg': "default_scope = 'mmseg'\nmodel = dict()"}}) == \
        'MMSegmentation 1.x'
    assert mmseg_origin({'meta': {'cfg': "default_scope = 'segkit'"}}) is None
    assert mmseg_origin(model.state_dict()) is None
    target = build(NONLOCAL_DEMO)
    load_model_weights(target, path)
    assert all(torch.equal(v, target.state_dict()[k]) for k, v in model.state_dict().items())
    with pytest.raises(CheckpointError, match=r'\. It is an MMSegmentation 1\.2\.2 checkpoint: '
                                              r'is it the model of this config \(the README'):
        load_model_weights(build(QUICKSTART), path)
