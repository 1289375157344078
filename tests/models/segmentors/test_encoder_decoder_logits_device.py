"""``test_cfg.logits_device``: full-image logits kept on another device than the model's."""
import pytest
import torch

from segkit.registry import MODELS
from segkit.utils.errors import ConfigError


def build(test_cfg):
    torch.manual_seed(0)
    norm_cfg = dict(type='BN')
    return MODELS.build(dict(
        type='EncoderDecoder',
        backbone=dict(type='ResNetV1c', depth=18, strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4),
                      contract_dilation=True, norm_cfg=norm_cfg),
        decode_head=dict(type='ASPPHead', in_channels=512, in_index=3, channels=16,
                         dilations=(1, 2), num_classes=3, norm_cfg=norm_cfg),
        test_cfg=test_cfg)).eval()


@pytest.mark.parametrize('mode', [dict(mode='whole'),
                                  dict(mode='slide', crop_size=(24, 24), stride=(16, 16))])
def test_logits_are_accumulated_on_logits_device(mode):
    # The 'meta' device stands in for a second device on a machine without a GPU.
    model = build(dict(mode, logits_device='meta'))
    with torch.no_grad():
        assert model.inference(torch.randn(1, 3, 40, 36))['seg'].device.type == 'meta'


def test_slide_on_cpu_logits_device_matches_default():
    slide = dict(mode='slide', crop_size=(24, 24), stride=(16, 16))
    x = torch.randn(1, 3, 40, 36)
    with torch.no_grad():
        expected = build(slide).inference(x)['seg']
        assert torch.allclose(build(dict(slide, logits_device='cpu')).inference(x)['seg'],
                              expected)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_slide_on_gpu_with_cpu_logits():
    slide = dict(mode='slide', crop_size=(24, 24), stride=(16, 16))
    x = torch.randn(2, 3, 40, 36)
    with torch.no_grad():
        expected = build(slide).cuda().inference(x.cuda())['seg']
        logits = build(dict(slide, logits_device='cpu')).cuda().inference(x.cuda())['seg']
    assert logits.device.type == 'cpu'
    assert torch.allclose(logits, expected.cpu(), atol=1e-4)


def test_logits_device_is_checked():
    with pytest.raises(ConfigError, match="logits_device 'gpu0'"):
        build(dict(mode='whole', logits_device='gpu0'))
