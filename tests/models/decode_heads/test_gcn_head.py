import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.dataset import Compose, pseudo_collate

from segkit.config import load_config
from segkit.models.backbones import ResNetV1c
from segkit.models.decode_heads import GCNHead
from segkit.models.decode_heads.gcn_head import bilinear_deconv
from segkit.models.layers import BoundaryRefine, GlobalConvBlock
from segkit.models.segmentors import SegTTAModel
from segkit.registry import MODELS
from segkit.utils.errors import ConfigError
from tests.helpers import REPO, make_samples

CHANNELS = (8, 16, 32, 64)


def tiny_backbone() -> ResNetV1c:
    return ResNetV1c(depth=18, stem_channels=8, base_channels=8).eval()


def tiny_head(upsample: str = 'bilinear', num_classes: int = 3) -> GCNHead:
    return GCNHead(in_channels=CHANNELS, num_classes=num_classes, kernel_size=7,
                   upsample=upsample)


def test_block_counts_and_no_classifier():
    head = GCNHead(in_channels=CHANNELS, num_classes=3)
    assert sum(isinstance(m, GlobalConvBlock) for m in head.modules()) == 4
    assert sum(isinstance(m, BoundaryRefine) for m in head.modules()) == 9
    assert head.gcns[0].conv_l1.kernel_size == (15, 1)  # the paper's k by default
    assert head.conv_seg is None and head.dropout is None
    assert not any(k.startswith(('conv_seg', 'dropout')) for k in head.state_dict())
    assert head.deconvs is None
    assert len(tiny_head('deconv').deconvs) == 5  # 3 fusions, to 1/2, to full size


@pytest.mark.parametrize('upsample', ['bilinear', 'deconv'])
@pytest.mark.parametrize('size', [(97, 65), (33, 47), (64, 64), (1, 1)])
def test_output_is_exactly_the_input_size(upsample, size):
    backbone, head = tiny_backbone(), tiny_head(upsample).eval()
    with torch.no_grad():
        feats = backbone(torch.randn(1, 3, *size))
        # Built at the size the segmentor passes, not resized to it afterwards.
        assert head(feats, size, {})['seg'].shape == (1, 3, *size)
        assert head.predict(feats, size=size)['seg'].shape == (1, 3, *size)


def test_loss_at_the_label_size_reaches_every_parameter():
    for upsample in ('bilinear', 'deconv'):
        torch.manual_seed(0)
        backbone, head = tiny_backbone().train(), tiny_head(upsample)
        feats = backbone(torch.randn(2, 3, 45, 51))
        labels = torch.randint(0, 3, (2, 45, 51))
        labels[:, :3] = 255
        losses = head.loss(feats, (45, 51), {}, make_samples(labels))
        assert set(losses) == {'loss_ce', 'acc_seg'}
        losses['loss_ce'].backward()
        no_grad = [n for n, p in head.named_parameters()
                   if p.grad is None or not p.grad.abs().sum() > 0]
        assert not no_grad, f'{upsample}: parameters without gradient: {no_grad}'


def test_slide_inference_on_an_odd_image():
    model = MODELS.build(dict(
        type='EncoderDecoder',
        backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8),
        decode_head=dict(type='GCNHead', in_channels=CHANNELS, num_classes=3, kernel_size=7,
                         upsample='deconv'),
        test_cfg=dict(mode='slide', crop_size=(41, 33), stride=(27, 21)))).eval()
    with torch.no_grad():
        preds = model(torch.randn(1, 3, 75, 61), mode='predict')
    assert preds[0].seg_logits.data.shape == (3, 75, 61)


def test_deconv_starts_as_linear_interpolation():
    deconv = bilinear_deconv(channels=2)
    ramp = torch.arange(5.).view(1, 1, 1, 5).expand(1, 2, 5, 5)
    out = deconv(ramp, output_size=[9, 9])
    # Coarse pixel i lands on fine pixel 2i; odd pixels are the mean of their neighbours.
    assert torch.allclose(out[0, 1, 4], torch.arange(9.) / 2)
    assert torch.allclose(out[0, 0, 1:-1, 1:-1], out[0, 1, 1:-1, 1:-1])


@pytest.mark.parametrize('cfg, match', [
    (dict(input_transform='resize_concat'), 'multiple_select'),
    (dict(in_channels=(8, 16)), 'one entry per in_index'),
    (dict(upsample='nearest'), 'upsample'),
    (dict(kernel_size=14), 'odd'),
])
def test_config_mistakes_are_refused(cfg, match):
    with pytest.raises(ConfigError, match=match):
        GCNHead(**dict(dict(in_channels=CHANNELS, num_classes=3), **cfg))


def test_tensor_mode_of_the_voc_config_gives_input_size_logits():
    cfg = load_config(osp.join(REPO, 'configs', 'gcn_r101_voc.py'))
    cfg.model.pretrained = None
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 97, 129), mode='tensor')
    assert out.shape == (1, 21, 97, 129)


def test_tta_flip_view_is_flipped_back_at_the_odd_input_size():
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='EncoderDecoder', data_preprocessor=dict(type='SegDataPreProcessor'),
        backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8,
                      strides=(1, 2, 2, 2)),
        decode_head=dict(type='GCNHead', in_channels=CHANNELS, num_classes=3, kernel_size=7,
                         upsample='deconv'))).eval()
    img = np.random.default_rng(0).integers(0, 255, (37, 45, 3), dtype=np.uint8)
    load, pack = dict(type='LoadImageFromNDArray'), dict(type='PackSegInputs')

    def predict(module, pipeline, image):
        with torch.no_grad():
            return module.test_step(pseudo_collate([Compose(pipeline)(dict(img=image))]))[0]
    plain = predict(model, [load, pack], img).seg_logits.data
    flipped = predict(model, [load, pack], np.ascontiguousarray(img[:, ::-1])).seg_logits.data
    pipeline = [load, dict(type='TestTimeAug', transforms=[
        [dict(type='RandomFlip', prob=0.), dict(type='RandomFlip', prob=1.)], [pack]])]
    merged = predict(SegTTAModel(module=model, average='logits'), pipeline, img)
    assert merged.seg_logits.data.shape == (3, 37, 45)
    torch.testing.assert_close(merged.seg_logits.data, (plain + flipped.flip(2)) / 2)
