import json

import pytest
import torch

from segkit.models.backbones import ResNetV1c
from segkit.utils.errors import ConfigError
from tests.file_server import file_server, hub_cache  # noqa: F401 (fixtures)


@pytest.mark.parametrize('depth,channels', [(18, (64, 128, 256, 512)),
                                            (50, (256, 512, 1024, 2048))])
def test_output_strides_d8(depth, channels):
    model = ResNetV1c(depth=depth, strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4),
                      contract_dilation=True)
    outs = model(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == list(channels)
    assert [o.shape[2] for o in outs] == [16, 8, 8, 8]


def test_output_stride_32_and_16():
    outs = ResNetV1c(depth=18)(torch.randn(1, 3, 64, 64))
    assert [o.shape[2] for o in outs] == [16, 8, 4, 2]
    outs = ResNetV1c(depth=18, strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2))(
        torch.randn(1, 3, 64, 64))
    assert [o.shape[2] for o in outs] == [16, 8, 4, 4]


def test_dilations_contract_and_multi_grid():
    model = ResNetV1c(depth=50, strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4),
                      contract_dilation=True)
    assert [b.conv2.dilation[0] for b in model.layer3] == [1] + [2] * 5
    assert [b.conv2.dilation[0] for b in model.layer4] == [2, 4, 4]
    paper = ResNetV1c(depth=50, strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2),
                      multi_grid=(1, 2, 4))
    assert [b.conv2.dilation[0] for b in paper.layer4] == [2, 4, 8]
    assert [b.conv2.padding[0] for b in paper.layer4] == [2, 4, 8]
    mmseg = ResNetV1c(depth=50, strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2),
                      multi_grid=(1, 2, 4), multi_grid_mode='mmseg')
    assert [b.conv2.dilation[0] for b in mmseg.layer4] == [1, 2, 4]


def test_mmseg_parameter_names():
    keys = set(ResNetV1c(depth=50).state_dict())
    for key in ('stem.0.weight', 'stem.1.running_mean', 'stem.3.weight', 'stem.7.weight',
                'layer1.0.conv1.weight', 'layer1.0.bn3.bias', 'layer1.0.downsample.0.weight',
                'layer1.0.downsample.1.weight', 'layer4.2.conv3.weight'):
        assert key in keys, key


def test_frozen_stages_and_norm_eval():
    model = ResNetV1c(depth=18, frozen_stages=1, norm_eval=True)
    model.train()
    assert not any(p.requires_grad for p in model.stem.parameters())
    assert not any(p.requires_grad for p in model.layer1.parameters())
    assert all(p.requires_grad for p in model.layer2.parameters())
    assert not model.layer2[0].bn1.training


def test_gradients_reach_every_parameter():
    model = ResNetV1c(depth=18)
    sum(o.mean() for o in model(torch.randn(2, 3, 32, 32))).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


@pytest.mark.parametrize('depth, last', [(18, 'bn2'), (50, 'bn3')])
def test_zero_init_residual(depth, last):
    torch.manual_seed(0)
    model = ResNetV1c(depth=depth, num_stages=2, strides=(1, 2), dilations=(1, 1),
                      out_indices=(1,))
    model.init_weights()
    blocks = [b for layer in (model.layer1, model.layer2) for b in layer]
    others = [n for n in ('bn1', 'bn2', 'bn3') if n != last and hasattr(blocks[0], n)]
    for block in blocks:
        assert not getattr(block, last).weight.any()
        assert all(torch.equal(getattr(block, n).weight, torch.ones_like(getattr(block, n).weight))
                   for n in others)
    assert torch.equal(model.layer2[0].downsample[1].weight,
                       torch.ones_like(model.layer2[0].downsample[1].weight))
    # Each block starts as its shortcut: relu(x), or relu(downsample(x)).
    model.eval()
    x = torch.randn(1, 3, 32, 32)
    expected = model.maxpool(model.stem(x))
    for block in blocks:
        expected = torch.relu(expected if block.downsample is None else block.downsample(expected))
    torch.testing.assert_close(model(x)[0], expected)

    plain = ResNetV1c(depth=depth, num_stages=2, strides=(1, 2), dilations=(1, 1),
                      out_indices=(1,), zero_init_residual=False)
    plain.init_weights()
    assert torch.equal(getattr(plain.layer1[0], last).weight,
                       torch.ones_like(getattr(plain.layer1[0], last).weight))


def test_pretrained_weights_overwrite_zero_init(tmp_path):
    src = ResNetV1c(depth=18, zero_init_residual=False)
    src.init_weights()
    path = tmp_path / 'r18.pth'
    torch.save({'state_dict': src.state_dict()}, path)
    dst = ResNetV1c(depth=18, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    dst.init_weights()
    assert torch.equal(dst.layer3[1].bn2.weight, torch.ones_like(dst.layer3[1].bn2.weight))


def test_bad_arguments():
    with pytest.raises(ConfigError, match='depth 42'):
        ResNetV1c(depth=42)
    with pytest.raises(ConfigError, match='multi_grid'):
        ResNetV1c(depth=18, multi_grid=(1, 2, 4))


def test_pretrained_from_local_path(tmp_path):
    src = ResNetV1c(depth=18)
    path = tmp_path / 'r18.pth'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in src.state_dict().items()}}, path)
    dst = ResNetV1c(depth=18, init_cfg=dict(type='Pretrained', checkpoint=str(path),
                                            prefix='backbone.'))
    dst.init_weights()
    assert torch.equal(dst.layer4[1].conv2.weight, src.layer4[1].conv2.weight)


def test_pretrained_from_an_open_mmlab_name(tmp_path, monkeypatch, file_server, hub_cache):
    src = ResNetV1c(depth=18)
    torch.save({'state_dict': src.state_dict()}, tmp_path / 'r18.pth')
    url = file_server.serve_file('/pretrain/resnet18_v1c.pth', str(tmp_path / 'r18.pth'))
    (tmp_path / 'urls.json').write_text(json.dumps({'open-mmlab://resnet18_v1c': url}))
    monkeypatch.setenv('SEGKIT_CHECKPOINT_URLS', str(tmp_path / 'urls.json'))
    for _ in range(2):
        dst = ResNetV1c(depth=18, init_cfg=dict(type='Pretrained',
                                                checkpoint='open-mmlab://resnet18_v1c'))
        dst.init_weights()
        assert torch.equal(dst.layer4[1].conv2.weight, src.layer4[1].conv2.weight)
    assert file_server.requests['/pretrain/resnet18_v1c.pth'] == 1
