import pytest
import torch

from segkit.registry import MODELS
from segkit.utils.errors import ConfigError
from tests.helpers import make_samples


def build(test_cfg=None, aux=True, channels_last=False):
    norm_cfg = dict(type='BN')
    cfg = dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', size=(32, 32)),
        backbone=dict(type='ResNetV1c', depth=18, strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4),
                      contract_dilation=True, norm_cfg=norm_cfg),
        decode_head=dict(type='ASPPHead', in_channels=512, in_index=3, channels=16,
                         dilations=(1, 2), num_classes=3, norm_cfg=norm_cfg),
        auxiliary_head=dict(type='FCNHead', in_channels=256, in_index=2, channels=8,
                            num_convs=1, concat_input=False, num_classes=3, norm_cfg=norm_cfg,
                            loss_decode=dict(type='CrossEntropyLoss', loss_weight=0.4))
        if aux else None,
        test_cfg=test_cfg,
        channels_last=channels_last)
    return MODELS.build(cfg)


def test_loss_names_and_backward():
    model = build()
    labels = torch.randint(0, 3, (2, 32, 32))
    losses = model(torch.randn(2, 3, 32, 32), make_samples(labels), mode='loss')
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg', 'aux.loss_ce', 'aux.acc_seg'}
    (losses['decode.loss_ce'] + losses['aux.loss_ce']).backward()


def test_channels_last_gives_the_same_losses_and_gradients():
    torch.manual_seed(0)
    nchw = build()
    nhwc = build(channels_last=True)
    nhwc.load_state_dict(nchw.state_dict())
    assert nhwc.backbone.stem[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert nhwc.decode_head.conv_seg.weight.is_contiguous(memory_format=torch.channels_last)
    x, labels = torch.randn(2, 3, 32, 32), torch.randint(0, 3, (2, 32, 32))
    features = []
    nhwc.backbone.register_forward_hook(lambda module, args, out: features.append(out[-1]))
    for model in (nchw, nhwc):
        torch.manual_seed(1)  # the same dropout masks
        losses = model(x, make_samples(labels), mode='loss')
        (losses['decode.loss_ce'] + losses['aux.loss_ce']).backward()
    assert features[0].is_contiguous(memory_format=torch.channels_last)
    for (name, a), b in zip(nchw.named_parameters(), nhwc.parameters()):
        torch.testing.assert_close(b.grad, a.grad, rtol=1e-4, atol=1e-5, msg=name)


def test_predict_crops_padding_and_resizes_to_original():
    model = build().eval()
    inputs = [torch.randint(0, 255, (3, 20, 28), dtype=torch.uint8),
              torch.randint(0, 255, (3, 24, 24), dtype=torch.uint8)]
    samples = make_samples([torch.zeros(20, 28), torch.zeros(24, 24)])
    samples[0].set_metainfo(dict(ori_shape=(40, 56)))
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples))
        assert data['inputs'].shape == (2, 3, 24, 28)
        preds = model(data['inputs'], data['data_samples'], mode='predict')
    assert preds[0].pred_sem_seg.shape == (40, 56)
    assert preds[1].seg_logits.data.shape == (3, 24, 24)


def test_slide_with_one_covering_window_equals_whole():
    whole = build(dict(mode='whole'), aux=False).eval()
    slide = build(dict(mode='slide', crop_size=(40, 40), stride=(20, 20)), aux=False).eval()
    slide.load_state_dict(whole.state_dict())
    x = torch.randn(1, 3, 32, 36)
    with torch.no_grad():
        assert torch.allclose(whole.inference(x)['seg'], slide.inference(x)['seg'], atol=1e-5)


def test_slide_averages_overlapping_windows():
    model = build(dict(mode='slide', crop_size=(16, 16), stride=(8, 8)), aux=False).eval()
    calls = []
    model.encode_decode = lambda x: calls.append(x['img'].shape) or dict(seg=torch.ones(
        x['img'].shape[0], 3, *x['img'].shape[2:]))
    logits = model.inference(torch.randn(1, 3, 32, 24))['seg']
    assert len(calls) == 3 * 2
    assert torch.allclose(logits, torch.ones_like(logits))


def test_test_cfg_is_checked():
    with pytest.raises(ConfigError, match='strid'):
        build(dict(mode='slide', crop_size=(8, 8), strid=(4, 4)))
    with pytest.raises(ConfigError, match="'sliding'"):
        build(dict(mode='sliding'))


def test_tensor_mode_gives_input_size_logits_at_odd_sizes():
    model = build(aux=False).eval()
    with torch.no_grad():
        for size in ((33, 47), (32, 32)):
            x = torch.randn(1, 3, *size)
            out = model(x, mode='tensor')
            assert out.shape == (1, 3, *size)
            assert torch.equal(out, model.encode_decode(x)['seg'])
