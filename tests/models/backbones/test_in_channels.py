"""Backbones with N input channels load RGB pretrained weights through timm's adaptation."""
import pytest
import torch
import torchvision
from timm.models import adapt_input_conv

import segkit.models.utils as model_utils
from segkit.models.backbones import ResNetV1c, TorchvisionResNet


@pytest.fixture
def logged(monkeypatch):
    lines = []
    monkeypatch.setattr(model_utils, 'print_log', lambda msg, **kw: lines.append(msg))
    return lines


def test_resnet_v1c_adapts_the_stem(tmp_path, logged):
    src = ResNetV1c(depth=18, stem_channels=16, base_channels=8)
    path = tmp_path / 'rgb.pth'
    torch.save({'state_dict': src.state_dict()}, path)
    dst = ResNetV1c(depth=18, stem_channels=16, base_channels=8, in_channels=4,
                    init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    dst.init_weights()
    torch.testing.assert_close(dst.stem[0].weight, adapt_input_conv(4, src.stem[0].weight))
    assert torch.equal(dst.layer2[0].conv1.weight, src.layer2[0].conv1.weight)
    assert logged == ['ResNetV1c: pretrained first conv stem.0.weight adapted from 3 to 4 input '
                      'channels (RGB filters repeated and scaled by 3/N, as timm does)']
    assert len(dst.eval()(torch.randn(1, 4, 32, 32))) == 4


def test_torchvision_resnet_adapts_conv1(tmp_path, logged):
    reference = torchvision.models.resnet18(weights=None)
    path = str(tmp_path / 'resnet18.pth')
    torch.save(reference.state_dict(), path)
    backbone = TorchvisionResNet(depth=18, in_channels=1,
                                 init_cfg=dict(type='Pretrained', checkpoint=path))
    backbone.init_weights()
    torch.testing.assert_close(backbone.conv1.weight, reference.conv1.weight.sum(1, keepdim=True))
    assert logged == ['TorchvisionResNet-18: pretrained first conv conv1.weight adapted from 3 '
                      'to 1 input channels (RGB filters repeated and scaled by 3/N, as timm '
                      'does)']
    assert backbone.eval()(torch.randn(1, 1, 64, 64))[-1].shape == (1, 512, 2, 2)
