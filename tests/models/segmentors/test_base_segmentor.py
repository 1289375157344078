"""A new segmentor is a small BaseSegmentor subclass: a 1x1 conv gets every inference mode."""
import inspect

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.dataset import Compose, pseudo_collate
from mmengine.optim import OptimWrapper
from torch import nn

from segkit.models.segmentors import BaseSegmentor, SegTTAModel
from segkit.utils.errors import ConfigError
from tests.helpers import make_samples


class PixelLinear(BaseSegmentor):
    """Class logits from a 1x1 conv on the normalised image."""

    def __init__(self, num_classes: int = 3, **kwargs):
        super().__init__(data_preprocessor=dict(type='SegDataPreProcessor'), **kwargs)
        self.num_classes, self.align_corners = num_classes, False
        self.conv = nn.Conv2d(3, num_classes, 1)

    def model_outputs(self, inputs):
        return dict(seg=self.conv(inputs['img']))

    def loss(self, inputs, data_samples):
        labels = torch.cat([s.gt_sem_seg.data for s in data_samples])
        return dict(loss_ce=F.cross_entropy(self.model_outputs(inputs)['seg'], labels))


SLIDE = dict(mode='slide', crop_size=(16, 16), stride=(10, 10))


def build(**kwargs) -> PixelLinear:
    torch.manual_seed(0)
    return PixelLinear(**kwargs).eval()


def test_the_example_segmentor_is_small():
    assert len(inspect.getsource(PixelLinear).splitlines()) <= 14


def test_whole_and_slide_predictions_at_the_original_size():
    whole, slide = build(), build(test_cfg=SLIDE)
    samples = make_samples(torch.zeros(2, 24, 30, dtype=torch.long))
    samples[0].set_metainfo(dict(ori_shape=(48, 60)))
    samples[1].set_metainfo(dict(flip=True, flip_direction='horizontal'))
    inputs = [torch.randint(0, 255, (3, 24, 30), dtype=torch.uint8) for _ in range(2)]
    with torch.no_grad():
        data = whole.data_preprocessor(dict(inputs=inputs, data_samples=samples))
        logits = whole.conv(data['inputs'])
        preds = whole(**data, mode='predict')
        slid = slide.predict(data['inputs'])  # no samples: the input size
        assert torch.equal(whole(data['inputs'], mode='tensor'), logits)
    assert preds[0].seg_logits.shape == (48, 60)
    assert torch.equal(preds[1].seg_logits.data, logits[1].flip(2))
    assert torch.equal(preds[1].pred_sem_seg.data[0], logits[1].flip(2).argmax(0))
    for i in range(2):  # a 1x1 conv: every window gives the same logits per pixel
        torch.testing.assert_close(slid[i].seg_logits.data, logits[i])


def test_train_step_and_tta():
    model = build().train()
    samples = make_samples(torch.randint(0, 3, (2, 8, 8)))
    data = dict(inputs=[torch.randint(0, 255, (3, 8, 8), dtype=torch.uint8)] * 2,
                data_samples=samples)
    weight = model.conv.weight.detach().clone()
    log = model.train_step(data, OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)))
    assert log['loss'] > 0 and not torch.equal(model.conv.weight, weight)

    model.eval()
    img = np.random.default_rng(0).integers(0, 255, (12, 14, 3), dtype=np.uint8)
    pipeline = [dict(type='LoadImageFromNDArray'), dict(type='TestTimeAug', transforms=[
        [dict(type='Resize', scale_factor=1.0, keep_ratio=True)],
        [dict(type='RandomFlip', prob=0.), dict(type='RandomFlip', prob=1.)],
        [dict(type='PackSegInputs')]])]
    with torch.no_grad():
        merged = SegTTAModel(module=model).test_step(
            pseudo_collate([Compose(pipeline)(dict(img=img))]))[0]
        plain = model.test_step(pseudo_collate([Compose(
            [dict(type='LoadImageFromNDArray'), dict(type='PackSegInputs')])(dict(img=img))]))[0]
    torch.testing.assert_close(merged.seg_logits.data, plain.seg_logits.data.softmax(0))


def test_test_cfg_and_mode_are_checked():
    with pytest.raises(ConfigError, match=r"model.test_cfg.mode 'sliding': expected one of"):
        build(test_cfg=dict(mode='sliding'))
    with pytest.raises(ValueError, match="forward mode 'train': expected 'loss', 'predict'"):
        build()(torch.zeros(1, 3, 4, 4), mode='train')
