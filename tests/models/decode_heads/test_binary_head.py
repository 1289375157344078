"""Binary segmentation with one output channel and a sigmoid (MMSegmentation's convention)."""
import pytest
import torch
import torch.nn.functional as F
import torchvision

from segkit.models.losses.cross_entropy_loss import binary_cross_entropy
from segkit.models.losses.dice_loss import dice_loss
from segkit.models.losses.focal_loss import sigmoid_focal_loss
from segkit.registry import MODELS
from segkit.utils.errors import ConfigError

from tests.helpers import make_samples

SIGMOID_CE = dict(type='CrossEntropyLoss', use_sigmoid=True)


def segmentor(**head):
    decode_head = dict(type='FCNHead', in_channels=16, channels=8, num_convs=1, num_classes=2,
                       out_channels=1, loss_decode=SIGMOID_CE)
    decode_head.update(head)
    return MODELS.build(dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[0, 0, 0], std=[1, 1, 1]),
        backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=2),
        decode_head=decode_head))


def test_one_channel_trains_and_thresholds():
    model = segmentor()
    assert model.decode_head.conv_seg.out_channels == 1
    labels = torch.zeros(2, 32, 32, dtype=torch.long)
    labels[:, 8:20, 8:20] = 1
    labels[:, 0] = 255
    inputs = torch.randn(2, 3, 32, 32)
    losses = model(inputs, make_samples(labels), mode='loss')
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg'}
    losses['decode.loss_ce'].backward()
    model.eval()
    with torch.no_grad():
        logits = model(inputs, mode='tensor')
        assert logits.shape == (2, 1, 32, 32)
        pred = model(inputs, make_samples(labels), mode='predict')[0]
    assert pred.seg_logits.data.shape == (1, 32, 32)
    expected = (logits[0, 0].sigmoid() > 0.5).long()
    torch.testing.assert_close(pred.pred_sem_seg.data[0], expected)
    model.test_cfg['threshold'] = 0.0001  # every pixel above it
    with torch.no_grad():
        pred = model(inputs, make_samples(labels), mode='predict')[0]
    assert pred.pred_sem_seg.data.min() == 1


def test_head_threshold_reaches_test_cfg():
    assert segmentor(threshold=0.3).test_cfg['threshold'] == 0.3


def test_one_channel_losses_target_the_foreground():
    logits = torch.randn(2, 1, 8, 8)
    labels = torch.randint(0, 2, (2, 8, 8))
    labels[0, 0] = 255
    valid = labels != 255
    expected = F.binary_cross_entropy_with_logits(logits[:, 0][valid], labels[valid].float())
    torch.testing.assert_close(binary_cross_entropy(logits, labels), expected)
    focal = torchvision.ops.sigmoid_focal_loss(logits[:, 0], labels.float(), alpha=0.5,
                                               gamma=2.0, reduction='none')[valid].mean()
    torch.testing.assert_close(sigmoid_focal_loss(logits, labels), focal)
    p, t = logits.sigmoid()[:, 0] * valid, (labels == 1).float() * valid
    dice = 1 - (2 * (p * t).sum((1, 2)) + 1) / ((p ** 2 + t).sum((1, 2)) + 1)
    torch.testing.assert_close(dice_loss(logits, labels, use_sigmoid=True), dice.mean())
    for loss in (dict(type='DiceLoss', use_sigmoid=True), dict(type='FocalLoss')):
        segmentor(loss_decode=loss)


@pytest.mark.parametrize('head, message', [
    (dict(loss_decode=dict(type='CrossEntropyLoss')),
     'FCNHead out_channels=1 needs sigmoid losses: set use_sigmoid=True in loss_ce'),
    (dict(num_classes=3), 'FCNHead out_channels=1 is binary segmentation: set num_classes=2, '
                          'got 3'),
    (dict(out_channels=3), 'FCNHead out_channels=3: expected num_classes (2) or 1 (binary, '
                           'sigmoid)'),
    (dict(out_channels=None, threshold=0.3),
     'FCNHead threshold=0.3 applies to out_channels=1 (binary segmentation with a sigmoid) '
     'only'),
    (dict(threshold=1.5), 'FCNHead threshold=1.5: expected a probability in (0, 1)'),
    (dict(sampler=dict(type='OHEMPixelSampler', min_kept=10)),
     'FCNHead out_channels=1: the pixel sampler ranks pixels by their softmax class '
     'probability; use out_channels=2 with a sampler'),
])
def test_config_mistakes(head, message):
    with pytest.raises(ConfigError) as e:
        segmentor(**head)
    assert str(e.value) == message
