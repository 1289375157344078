"""optimize_for_inference: folded BN, channels-last and bf16 keep the predictions."""
import os.path as osp

import pytest
import torch
from torch.nn.modules.batchnorm import _BatchNorm

from segkit.apis.optimize import optimize_for_inference
from segkit.config import load_config
from segkit.registry import MODELS
from segkit.utils import precision
from tests.helpers import REPO

DEMO_CONFIGS = ['quickstart.py', 'gcn_r18_demo.py', 'nonlocal_r18_demo.py', 'gscnn_r18_demo.py',
                'deeplabv3plus_mobilenetv3_demo.py']


def build_eval_model(config: str) -> torch.nn.Module:
    """The config's model with random, non-trivial BatchNorm statistics, in eval mode."""
    torch.manual_seed(0)
    cfg = load_config(osp.join(REPO, 'configs', config))
    cfg.model.pretrained = None
    model = MODELS.build(cfg.model)
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
    return model.eval()


def logits(model: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        inputs = model.data_preprocessor(dict(inputs=list(images)))['inputs']
        return model(inputs, mode='tensor').float()


@pytest.fixture(scope='module')
def images():
    torch.manual_seed(1)
    return torch.randint(0, 256, (2, 3, 64, 64), dtype=torch.uint8)


@pytest.mark.parametrize('config', DEMO_CONFIGS)
def test_fuse_conv_bn_keeps_logits(config, images):
    model = build_eval_model(config)
    expected = logits(model, images)
    optimize_for_inference(model, fold_bn=True)
    remaining = [n for n, m in model.named_modules() if isinstance(m, _BatchNorm)]
    fused = logits(model, images)
    assert torch.allclose(fused, expected, atol=1e-4, rtol=1e-4), \
        (fused - expected).abs().max()
    if config == 'quickstart.py':
        assert not remaining, remaining


def test_channels_last_and_bf16_agree_with_fp32(images):
    model = build_eval_model('quickstart.py')
    expected = logits(model, images).argmax(1)
    optimize_for_inference(model, fold_bn=True, channels_last=True)
    assert model.backbone.stem[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert (logits(model, images).argmax(1) == expected).float().mean() > 0.99
    optimize_for_inference(model, precision='bf16')  # runs even where emulated
    with torch.no_grad():
        inputs = model.data_preprocessor(dict(inputs=list(images)))['inputs']
        assert model.encode_decode(inputs)['seg'].dtype is torch.bfloat16
    assert (logits(model, images).argmax(1) == expected).float().mean() > 0.9


@pytest.mark.parametrize('native', [True, False])
def test_auto_precision_follows_the_policy(monkeypatch, images, native):
    monkeypatch.setattr(precision, 'cpu_native_bf16',
                        lambda: None if native else 'the CPU has no AVX512-BF16 or AMX')
    model = build_eval_model('quickstart.py')
    expected = logits(model, images)
    optimize_for_inference(model, precision='auto')
    with torch.no_grad():
        inputs = model.data_preprocessor(dict(inputs=list(images)))['inputs']
        out = model.encode_decode(inputs)['seg']
    assert out.dtype is (torch.bfloat16 if native else torch.float32)
    if not native:
        torch.testing.assert_close(out, expected, rtol=0, atol=0)


def test_init_model_speed_options():
    from segkit.apis import init_model
    model = init_model(osp.join(REPO, 'configs', 'quickstart.py'), fold_bn=True,
                       channels_last=True)
    assert not model.training
    assert not any(isinstance(m, _BatchNorm) for m in model.modules())
    assert model.decode_head.conv_seg.weight.is_contiguous(memory_format=torch.channels_last)


def test_init_model_fast_is_fp32_without_native_bf16(monkeypatch, images):
    from segkit.apis import init_model
    monkeypatch.setattr(precision, 'cpu_native_bf16', lambda: 'the CPU has no AVX512-BF16')
    model = init_model(osp.join(REPO, 'configs', 'quickstart.py'), fast=True)
    assert not any(isinstance(m, _BatchNorm) for m in model.modules())
    assert model.decode_head.conv_seg.weight.is_contiguous(memory_format=torch.channels_last)
    assert logits(model, images).dtype is torch.float32


def test_one_precedence_for_speed_options():
    from segkit.apis.optimize import FAST, SpeedOptions, resolve_speed_options
    assert resolve_speed_options() == SpeedOptions('fp32', False, False, False)
    assert resolve_speed_options(fast=True) == FAST == SpeedOptions('auto', True, True, False)
    assert resolve_speed_options(precision='fp32', fast=True) == SpeedOptions('fp32', True, True,
                                                                              False)
    assert resolve_speed_options(precision='bf16', compile=True) == SpeedOptions('bf16', False,
                                                                                 False, True)


def test_init_model_fast_keeps_an_explicit_precision(images):
    from segkit.apis import init_model
    model = init_model(osp.join(REPO, 'configs', 'quickstart.py'), fast=True, precision='fp32')
    assert not any(isinstance(m, _BatchNorm) for m in model.modules())
    bf16 = init_model(osp.join(REPO, 'configs', 'quickstart.py'), precision='bf16')
    with torch.no_grad():
        inputs = model.data_preprocessor(dict(inputs=list(images)))['inputs']
        assert model.encode_decode(inputs)['seg'].dtype is torch.float32
        assert bf16.encode_decode(inputs)['seg'].dtype is torch.bfloat16
