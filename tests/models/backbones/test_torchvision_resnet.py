import json

import pytest
import torch
import torchvision

from segkit.models.backbones import TorchvisionResNet
from segkit.registry import MODELS
from segkit.utils.errors import CheckpointError, ConfigError
from tests.file_server import file_server, hub_cache  # noqa: F401 (fixtures)


def test_four_stages_at_output_stride_32():
    backbone = MODELS.build(dict(type='TorchvisionResNet', depth=18)).eval()
    with torch.no_grad():
        outs = backbone(torch.randn(1, 3, 97, 64))
    assert [o.shape[1] for o in outs] == list(backbone.stage_channels) == [64, 128, 256, 512]
    assert [tuple(o.shape[2:]) for o in outs] == [(25, 16), (13, 8), (7, 4), (4, 2)]
    assert not hasattr(backbone, 'fc'), 'the classifier would be an unused parameter'


def test_loads_a_torchvision_file_without_its_classifier(tmp_path):
    reference = torchvision.models.resnet18(weights=None)
    path = str(tmp_path / 'resnet18-f37072fd.pth')
    torch.save(reference.state_dict(), path)
    backbone = TorchvisionResNet(depth=18, init_cfg=dict(type='Pretrained', checkpoint=path))
    backbone.init_weights()
    assert torch.equal(backbone.conv1.weight, reference.conv1.weight)
    assert torch.equal(backbone.layer4[1].bn2.running_var, reference.layer4[1].bn2.running_var)


def test_loads_a_ddp_saved_file_without_its_classifier(tmp_path):
    reference = torchvision.models.resnet18(weights=None)
    path = str(tmp_path / 'ddp.pth')
    torch.save({'state_dict': {f'module.{k}': v for k, v in reference.state_dict().items()}},
               path)
    backbone = TorchvisionResNet(depth=18, init_cfg=dict(type='Pretrained', checkpoint=path))
    backbone.init_weights()
    assert torch.equal(backbone.layer4[1].conv2.weight, reference.layer4[1].conv2.weight)


def test_loads_a_torchvision_name_downloaded_once(tmp_path, monkeypatch, file_server,
                                                  hub_cache):
    reference = torchvision.models.resnet18(weights=None)
    torch.save(reference.state_dict(), tmp_path / 'resnet18.pth')
    url = file_server.serve_file('/models/resnet18.pth', str(tmp_path / 'resnet18.pth'))
    (tmp_path / 'urls.json').write_text(json.dumps({'torchvision://resnet18': url}))
    monkeypatch.setenv('SEGKIT_CHECKPOINT_URLS', str(tmp_path / 'urls.json'))
    for _ in range(2):
        backbone = TorchvisionResNet(
            depth=18, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18'))
        backbone.init_weights()
        assert torch.equal(backbone.layer4[1].conv2.weight, reference.layer4[1].conv2.weight)
    assert file_server.requests['/models/resnet18.pth'] == 1


def test_missing_file_names_the_download_url(tmp_path):
    backbone = TorchvisionResNet(
        depth=152, init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'none.pth')))
    with pytest.raises(CheckpointError,
                       match='https://download.pytorch.org/models/resnet152-394f9c45.pth'):
        backbone.init_weights()


def test_a_file_of_another_architecture_is_refused(tmp_path):
    path = str(tmp_path / 'v1c.pth')
    state = TorchvisionResNet(depth=18).state_dict()
    state['stem.0.weight'] = state.pop('conv1.weight')
    torch.save(state, path)
    backbone = TorchvisionResNet(depth=18, init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(CheckpointError, match='stem.0.weight'):
        backbone.init_weights()


def test_frozen_stages_and_norm_eval():
    backbone = TorchvisionResNet(depth=18, frozen_stages=1, norm_eval=True).train()
    assert not any(p.requires_grad for p in backbone.layer1.parameters())
    assert not backbone.conv1.weight.requires_grad
    assert all(p.requires_grad for p in backbone.layer2.parameters())
    assert not backbone.layer3[0].bn1.training


def test_bad_depth_is_refused():
    with pytest.raises(ConfigError, match='depth 42'):
        TorchvisionResNet(depth=42)
