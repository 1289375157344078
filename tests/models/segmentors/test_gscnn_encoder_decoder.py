import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from segkit.models import GSCNNDataPreProcessor
from segkit.registry import MODELS
from segkit.utils.errors import ConfigError, DataError
from tests.helpers import make_samples

NORM = dict(type='BN')


def build(data_preprocessor=dict(type='GSCNNDataPreProcessor', size=(32, 32)), **kwargs):
    cfg = dict(
        type='GSCNNEncoderDecoder',
        data_preprocessor=data_preprocessor,
        backbone=dict(type='ResNetV1c', depth=18, strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4),
                      contract_dilation=True, norm_cfg=NORM),
        decode_head=dict(type='GSCNNHead', in_channels=(64, 128, 256, 512),
                         in_index=(0, 1, 2, 3), input_transform='multiple_select', channels=8,
                         dilations=(1, 2), num_classes=3, norm_cfg=NORM),
        **kwargs)
    return MODELS.build(cfg)


def test_preprocessor_appends_canny_of_the_uint8_image():
    pre = GSCNNDataPreProcessor(size=(12, 16), canny_thresholds=(10, 100))
    img = np.full((10, 12, 3), 100, dtype=np.uint8)
    img[:, 6:] = 60  # a step that normalisation turns into values of both signs
    samples = make_samples(torch.zeros(1, 10, 12))
    samples[0].gt_edge_map = PixelData(data=torch.ones(1, 10, 12, dtype=torch.uint8))
    out = pre(dict(inputs=[torch.from_numpy(img).permute(2, 0, 1)], data_samples=samples),
              training=True)
    x = out['inputs']
    assert x.shape == (1, 4, 12, 16)
    canny = torch.from_numpy(cv2.Canny(img, 10, 100)).float() / 255
    assert canny.sum() > 0 and torch.equal(x[0, 3, :10, :12], canny)
    assert (x[0, 3, 10:] == 0).all() and (x[0, 3, :, 12:] == 0).all()
    edge = out['data_samples'][0].gt_edge_map.data
    assert edge.shape == (1, 12, 16) and (edge[0, 10:] == 255).all()
    assert (edge[0, :10, :12] == 1).all()
    with pytest.raises(DataError, match='uint8'):
        pre(dict(inputs=[torch.zeros(3, 4, 4)], data_samples=None))


def test_loss_and_prediction_with_edge_map():
    model = build(predict_edge=True)
    inputs = list(torch.randint(0, 255, (2, 3, 32, 32), dtype=torch.uint8))
    samples = make_samples(torch.randint(0, 3, (2, 32, 32)))
    for sample in samples:
        sample.gt_edge_map = PixelData(data=torch.randint(0, 2, (1, 32, 32), dtype=torch.uint8))
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples), training=True)
    losses = model(**data, mode='loss')
    assert {'decode.loss_ce', 'decode.loss_edge', 'decode.loss_att',
            'decode.loss_dual'} <= set(losses)

    model.eval()
    samples = make_samples(torch.zeros(1, 24, 28, dtype=torch.long))
    samples[0].set_metainfo(dict(ori_shape=(48, 56)))
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=[inputs[0][:, :24, :28]],
                                            data_samples=samples))
        pred = model(**data, mode='predict')[0]
        edge_logits = model(data['inputs'], mode='tensor')[1]
    assert pred.seg_logits.data.shape == (3, 48, 56)
    assert pred.pred_sem_seg.data.shape == (1, 48, 56) and pred.pred_edge.data.shape == (1, 48, 56)
    expected = torch.nn.functional.interpolate(torch.sigmoid(edge_logits), size=(48, 56),
                                               mode='bilinear')
    assert torch.allclose(pred.pred_edge.data, expected[0], atol=1e-5)


def test_slide_inference_crops_image_and_gradient_together():
    model = build(test_cfg=dict(mode='slide', crop_size=(24, 24), stride=(16, 16))).eval()
    inputs = [torch.randint(0, 255, (3, 40, 40), dtype=torch.uint8)]
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=inputs, data_samples=None))
        pred = model(**data, mode='predict')[0]
    assert pred.pred_sem_seg.shape == (40, 40) and 'pred_edge' not in pred


def test_user_mistakes():
    with pytest.raises(ConfigError, match='GSCNNDataPreProcessor'):
        build(data_preprocessor=dict(type='SegDataPreProcessor'))
    with pytest.raises(ConfigError, match='whole'):
        build(predict_edge=True, test_cfg=dict(mode='slide', crop_size=(24, 24), stride=(16, 16)))
