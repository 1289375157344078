import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import Compose, pseudo_collate

from segkit.config import load_config
from segkit.models.segmentors import SegTTAModel
from segkit.registry import MODELS
from segkit.utils.errors import ConfigError
from tests.helpers import REPO

PACK = [dict(type='PackSegInputs')]


def build_segmentor():
    torch.manual_seed(0)
    norm_cfg = dict(type='BN')
    return MODELS.build(dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor'),
        backbone=dict(type='ResNetV1c', depth=18, strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4),
                      contract_dilation=True, norm_cfg=norm_cfg),
        decode_head=dict(type='ASPPHead', in_channels=512, in_index=3, channels=16,
                         dilations=(1, 2), num_classes=3, norm_cfg=norm_cfg))).eval()


def predict(model, pipeline, img):
    with torch.no_grad():
        return model.test_step(pseudo_collate([Compose(pipeline)(dict(img=img))]))[0]


def tta_pipeline(scale_transforms, flip_transforms):
    return [dict(type='LoadImageFromNDArray'),
            dict(type='TestTimeAug', transforms=[scale_transforms, flip_transforms, PACK])]


@pytest.fixture(scope='module')
def img():
    return np.random.default_rng(0).integers(0, 255, (30, 44, 3), dtype=np.uint8)


def test_one_view_equals_plain_inference(img):
    model = build_segmentor()
    plain = predict(model, [dict(type='LoadImageFromNDArray'), *PACK], img)
    pipeline = tta_pipeline([dict(type='Resize', scale_factor=1.0, keep_ratio=True)],
                            [dict(type='RandomFlip', prob=0.)])
    merged = predict(SegTTAModel(module=model), pipeline, img)
    assert torch.equal(merged.pred_sem_seg.data, plain.pred_sem_seg.data)
    assert torch.allclose(merged.seg_logits.data, plain.seg_logits.data.softmax(0), atol=1e-6)
    by_logits = predict(SegTTAModel(module=model, average='logits'), pipeline, img)
    assert torch.allclose(by_logits.seg_logits.data, plain.seg_logits.data, atol=1e-5)


def test_flipped_view_is_flipped_back_before_averaging(img):
    model = build_segmentor()
    load = dict(type='LoadImageFromNDArray')
    plain = predict(model, [load, *PACK], img).seg_logits.data
    flipped = predict(model, [load, *PACK], np.ascontiguousarray(img[:, ::-1])).seg_logits.data
    expected = (plain.softmax(0) + flipped.flip(2).softmax(0)) / 2
    pipeline = tta_pipeline([dict(type='Resize', scale_factor=1.0, keep_ratio=True)],
                            [dict(type='RandomFlip', prob=0., direction='horizontal'),
                             dict(type='RandomFlip', prob=1., direction='horizontal')])
    merged = predict(SegTTAModel(module=model), pipeline, img)
    assert torch.allclose(merged.seg_logits.data, expected, atol=1e-5)
    assert torch.equal(merged.pred_sem_seg.data, expected.argmax(0, keepdim=True))


def test_scaled_views_are_merged_at_the_original_size(img):
    pipeline = tta_pipeline([dict(type='Resize', scale_factor=r, keep_ratio=True)
                             for r in (0.5, 1.5)], [dict(type='RandomFlip', prob=0.)])
    merged = predict(SegTTAModel(module=build_segmentor()), pipeline, img)
    assert merged.pred_sem_seg.data.shape == (1, 30, 44)
    assert merged.ori_shape == (30, 44)
    assert torch.allclose(merged.seg_logits.data.sum(0), torch.ones(30, 44), atol=1e-5)


def test_average_is_checked():
    with pytest.raises(ConfigError, match="'mean'"):
        SegTTAModel(module=build_segmentor(), average='mean')


def test_shipped_tta_pipeline_makes_12_views_with_labels(tmp_path, img):
    cfg = load_config(osp.join(REPO, 'configs', 'quickstart.py'))
    cv2.imwrite(str(tmp_path / 'a.png'), img)
    cv2.imwrite(str(tmp_path / 'a_label.png'), np.zeros(img.shape[:2], np.uint8))
    views = Compose(cfg.tta_pipeline)(dict(
        img_path=str(tmp_path / 'a.png'), seg_map_path=str(tmp_path / 'a_label.png'),
        reduce_zero_label=False, num_classes=5, ignore_index=255, seg_fields=[]))
    assert len(views['inputs']) == 12
    sizes = sorted({tuple(v.shape[1:]) for v in views['inputs']})
    assert sizes[0] == (15, 22) and sizes[-1] == (53, 77)  # scales 0.5 and 1.75
    assert sum(s.flip for s in views['data_samples']) == 6
    assert all(s.gt_sem_seg.shape == (30, 44) for s in views['data_samples'])
    assert cfg.tta_model.type == 'SegTTAModel'


def test_one_channel_binary_head_averages_sigmoids_and_thresholds(img):
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='EncoderDecoder', data_preprocessor=dict(type='SegDataPreProcessor'),
        backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=4),
        decode_head=dict(type='FCNHead', in_channels=32, channels=8, num_classes=2,
                         out_channels=1, threshold=0.4,
                         loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=True)))).eval()
    plain = predict(model, [dict(type='LoadImageFromNDArray'), *PACK], img)
    pipeline = tta_pipeline([dict(type='Resize', scale_factor=1.0, keep_ratio=True)],
                            [dict(type='RandomFlip', prob=0.)])
    merged = predict(SegTTAModel(module=model), pipeline, img)
    probability = plain.seg_logits.data.sigmoid()
    assert torch.allclose(merged.seg_logits.data, probability, atol=1e-6)
    assert torch.equal(merged.pred_sem_seg.data, (probability > 0.4).long())
    assert torch.equal(plain.pred_sem_seg.data, (probability > 0.4).long())
