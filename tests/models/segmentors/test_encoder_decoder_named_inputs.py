"""Named inputs beside the image (Gated-SCNN's Canny 'edge'): preprocessing, loss, whole and
slide inference, predict_edge, TTA and the mistakes."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import Compose, pseudo_collate
from mmengine.structures import PixelData

from segkit.models import GSCNNDataPreProcessor
from segkit.models.segmentors import SegTTAModel
from segkit.models.utils import resize
from segkit.registry import MODELS
from segkit.utils.errors import ConfigError, DataError
from tests.helpers import make_samples

NORM = dict(type='BN')
SLIDE = dict(mode='slide', crop_size=(24, 24), stride=(16, 16))


def build(data_preprocessor=dict(type='GSCNNDataPreProcessor', size=(32, 32)), **kwargs):
    torch.manual_seed(0)
    cfg = dict(
        type='EncoderDecoder',
        data_preprocessor=data_preprocessor,
        backbone=dict(type='ResNetV1c', depth=18, strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4),
                      contract_dilation=True, norm_cfg=NORM),
        decode_head=dict(type='GSCNNHead', in_channels=(64, 128, 256, 512),
                         in_index=(0, 1, 2, 3), input_transform='multiple_select', channels=8,
                         dilations=(1, 2), num_classes=3, norm_cfg=NORM),
        **kwargs)
    return MODELS.build(cfg)


def images(n=1, size=(40, 40)):
    return list(torch.randint(0, 255, (n, 3, *size), generator=torch.Generator().manual_seed(0),
                              dtype=torch.uint8))


def test_preprocessor_makes_canny_edges_of_the_uint8_image_beside_it():
    pre = GSCNNDataPreProcessor(size=(12, 16), canny_thresholds=(10, 100))
    img = np.full((10, 12, 3), 100, dtype=np.uint8)
    img[:, 6:] = 60  # a step that normalisation turns into values of both signs
    samples = make_samples(torch.zeros(1, 10, 12))
    samples[0].gt_edge_map = PixelData(data=torch.ones(1, 10, 12, dtype=torch.uint8))
    out = pre(dict(inputs=[torch.from_numpy(img).permute(2, 0, 1)], data_samples=samples),
              training=True)
    assert set(out['inputs']) == {'img', 'edge'}
    assert out['inputs']['img'].shape == (1, 3, 12, 16)
    edge = out['inputs']['edge']
    canny = torch.from_numpy(cv2.Canny(img, 10, 100)).float() / 255
    assert edge.shape == (1, 1, 12, 16)
    assert canny.sum() > 0 and torch.equal(edge[0, 0, :10, :12], canny)
    assert (edge[0, 0, 10:] == 0).all() and (edge[0, 0, :, 12:] == 0).all()
    edge_label = out['data_samples'][0].gt_edge_map.data
    assert edge_label.shape == (1, 12, 16) and (edge_label[0, 10:] == 255).all()
    assert (edge_label[0, :10, :12] == 1).all()
    with pytest.raises(DataError, match='uint8'):
        pre(dict(inputs=[torch.zeros(3, 4, 4)], data_samples=None))


def test_plain_preprocessor_pads_edge_labels_too():
    pre = MODELS.build(dict(type='SegDataPreProcessor', size=(12, 16)))
    samples = make_samples(torch.zeros(1, 10, 12))
    samples[0].gt_edge_map = PixelData(data=torch.ones(1, 10, 12, dtype=torch.uint8))
    out = pre(dict(inputs=[torch.zeros(3, 10, 12, dtype=torch.uint8)], data_samples=samples),
              training=True)
    assert out['inputs'].shape == (1, 3, 12, 16)
    assert out['data_samples'][0].gt_edge_map.shape == (12, 16)


def test_loss_prediction_edge_map_and_tensor_mode():
    model = build(predict_edge=True)
    samples = make_samples(torch.randint(0, 3, (2, 32, 32)))
    for sample in samples:
        sample.gt_edge_map = PixelData(data=torch.randint(0, 2, (1, 32, 32), dtype=torch.uint8))
    data = model.data_preprocessor(dict(inputs=images(2, (32, 32)), data_samples=samples),
                                   training=True)
    losses = model(**data, mode='loss')
    assert {'decode.loss_ce', 'decode.loss_edge', 'decode.loss_att',
            'decode.loss_dual'} <= set(losses)

    model.eval()
    samples = make_samples(torch.zeros(1, 24, 28, dtype=torch.long))
    samples[0].set_metainfo(dict(ori_shape=(48, 56)))
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=[images()[0][:, :24, :28]],
                                            data_samples=samples))
        pred = model(**data, mode='predict')[0]
        outputs = model.encode_decode(data['inputs'])
        seg = model(data['inputs'], mode='tensor')
    assert seg.shape == (1, 3, 24, 28) and torch.equal(seg, outputs['seg'])
    assert pred.seg_logits.data.shape == (3, 48, 56)
    assert pred.pred_sem_seg.data.shape == (1, 48, 56) and pred.pred_edge.data.shape == (1, 48, 56)
    expected = resize(torch.sigmoid(outputs['edge']), (48, 56))
    assert torch.allclose(pred.pred_edge.data, expected[0], atol=1e-6)


def test_slide_crops_every_named_input_alike():
    model = build(test_cfg=SLIDE, predict_edge=True).eval()
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=images(), data_samples=None))
    seen = []
    forward = model.decode_head.forward
    model.decode_head.forward = lambda feats, size, extras: seen.append(extras) or \
        forward(feats, size, extras)
    with torch.no_grad():
        pred = model(**data, mode='predict')[0]
    assert len(seen) == 4  # 2 x 2 windows of 24 over 40
    full = data['inputs']
    for y1, x1 in ((0, 0), (0, 16), (16, 0), (16, 16)):
        crop = {k: v[:, :, y1:y1 + 24, x1:x1 + 24] for k, v in full.items()}
        assert any(all(torch.equal(extras[k], crop[k]) for k in crop) for extras in seen)
    assert pred.pred_sem_seg.shape == (40, 40) and pred.pred_edge.shape == (40, 40)


def test_slide_with_one_covering_window_equals_whole_for_every_output():
    whole = build(predict_edge=True).eval()
    slide = build(test_cfg=dict(mode='slide', crop_size=(48, 48), stride=(16, 16)),
                  predict_edge=True).eval()
    with torch.no_grad():
        data = whole.data_preprocessor(dict(inputs=images(), data_samples=None))
        a, b = whole.inference(data['inputs']), slide.inference(data['inputs'])
    assert set(a) == set(b) == {'seg', 'edge'}
    for name in a:
        assert torch.allclose(a[name], b[name], atol=1e-5), name


def test_tta_of_one_view_equals_plain_prediction():
    model = build(data_preprocessor=dict(type='GSCNNDataPreProcessor')).eval()
    img = images()[0].permute(1, 2, 0).numpy()
    load = dict(type='LoadImageFromNDArray')
    pack = dict(type='PackSegInputs')
    pipeline = [load, dict(type='TestTimeAug', transforms=[
        [dict(type='Resize', scale_factor=1.0, keep_ratio=True)],
        [dict(type='RandomFlip', prob=0.)], [pack]])]
    with torch.no_grad():
        plain = model.test_step(pseudo_collate([Compose([load, pack])(dict(img=img))]))[0]
        merged = SegTTAModel(module=model, average='logits').test_step(
            pseudo_collate([Compose(pipeline)(dict(img=img))]))[0]
    assert torch.allclose(merged.seg_logits.data, plain.seg_logits.data, atol=1e-5)


def test_user_mistakes():
    with pytest.raises(ConfigError, match=r"^model.data_preprocessor: GSCNNHead reads the "
                                          r"input\(s\) \['edge'\] beside the image, which "
                                          r'SegDataPreProcessor does not make: .*'
                                          r"type='GSCNNDataPreProcessor'"):
        build(data_preprocessor=dict(type='SegDataPreProcessor'))
    model = build().eval()
    with pytest.raises(DataError, match=r"GSCNNHead reads the input\(s\) \['edge'\] beside the "
                                        r"image; pass inputs as a dict with keys \['img', "
                                        r"'edge'\] .*got a \(1, 3, 64, 128\) tensor"):
        model(torch.randn(1, 3, 64, 128), mode='tensor')
    with pytest.raises(ConfigError, match='predict_edge=True: ASPPHead predicts no edge map'):
        MODELS.build(dict(
            type='EncoderDecoder', predict_edge=True,
            backbone=dict(type='ResNetV1c', depth=18, norm_cfg=NORM),
            decode_head=dict(type='ASPPHead', in_channels=512, channels=8, num_classes=3)))
