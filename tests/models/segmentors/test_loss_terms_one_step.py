"""One training step of DeepLabV3 (ASPP + auxiliary FCN) from fixed weights and a fixed batch:
the logged loss terms and the updated weights are those of the loss derived here by hand.

The hand derivation follows MMSegmentation 1.2.2 (``cross_entropy`` + ``weight_reduce_loss``,
``BaseDecodeHead.loss_by_feat``, ``OHEMPixelSampler`` without a threshold): logits resized
bilinearly to the label size, per-pixel CE (0 at ignored pixels), times the OHEM 0/1 weight,
summed and divided by all pixels (``avg_non_ignore=False``, MMSegmentation's default) or by
the non-ignored pixels (``avg_non_ignore=True``; with OHEM segkit divides by the kept ones).
"""
import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData

from segkit.registry import MODELS, OPTIM_WRAPPERS
from segkit.structures import SegDataSample

NUM_CLASSES, IGNORE, MIN_KEPT = 5, 255, 300
SIZE = (32, 48)
LOSS_WEIGHTS = {'decode': 1.0, 'aux': 0.4}
SGD = dict(lr=0.01, momentum=0.9, weight_decay=0.0005)


def build_model(avg_non_ignore: bool, ohem: bool):
    def head(kind, **kwargs):
        return dict(type=kind, num_classes=NUM_CLASSES, channels=8, dropout_ratio=0.0,
                    loss_decode=dict(type='CrossEntropyLoss', avg_non_ignore=avg_non_ignore,
                                     loss_weight=LOSS_WEIGHTS['decode' if kind == 'ASPPHead'
                                                              else 'aux']), **kwargs)
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True, size=SIZE),
        backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8,
                      strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4), contract_dilation=True),
        decode_head=head('ASPPHead', in_channels=64, in_index=3, dilations=(1, 2, 3, 4),
                         sampler=dict(type='OHEMPixelSampler', thresh=None, min_kept=MIN_KEPT)
                         if ohem else None),
        auxiliary_head=head('FCNHead', in_channels=32, in_index=2, num_convs=1,
                            concat_input=False)))
    model.init_weights()
    return model


def batch():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2, 3, *SIZE), dtype=np.uint8)
    labels = rng.integers(0, NUM_CLASSES, (2, 1, *SIZE))
    labels[rng.random(labels.shape) < 0.2] = IGNORE
    samples = []
    for label in labels:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.from_numpy(label))
        sample.set_metainfo(dict(img_shape=SIZE, ori_shape=SIZE, pad_shape=SIZE))
        samples.append(sample)
    return dict(inputs=[torch.from_numpy(i) for i in images], data_samples=samples)


def hand_loss_terms(model, data, avg_non_ignore: bool, ohem: bool) -> dict:
    """The loss terms of ``model`` on ``data``, from the classifiers' raw logits."""
    logits = {}
    hooks = [head.conv_seg.register_forward_hook(
        lambda module, args, out, name=name: logits.__setitem__(name, out))
        for name, head in (('decode', model.decode_head), ('aux', model.auxiliary_head))]
    processed = model.data_preprocessor(data, True)
    model(**processed, mode='loss')  # only to run the network; its losses are not used
    for hook in hooks:
        hook.remove()
    labels = torch.stack([s.gt_sem_seg.data[0] for s in data['data_samples']]).long()
    valid = labels != IGNORE
    terms = {}
    for name, weight in LOSS_WEIGHTS.items():
        scores = F.interpolate(logits[name], size=SIZE, mode='bilinear', align_corners=False)
        log_p = scores.log_softmax(dim=1).gather(1, labels.masked_fill(~valid, 0)[:, None])[:, 0]
        ce = -log_p * valid
        kept = valid
        if ohem and name == 'decode':  # the MIN_KEPT * N highest-loss non-ignored pixels
            hardest = ce.detach()[valid].argsort(descending=True)[:MIN_KEPT * len(labels)]
            kept_valid = torch.zeros(int(valid.sum()), dtype=torch.bool)
            kept_valid[hardest] = True
            kept = torch.zeros_like(valid)
            kept[valid] = kept_valid
        total = (ce * kept).sum()
        if not avg_non_ignore:
            denominator = labels.numel()
        else:
            denominator = kept.sum() if ohem and name == 'decode' else valid.sum()
        terms[f'{name}.loss_ce'] = weight * total / denominator
    return terms


@pytest.mark.parametrize('avg_non_ignore, ohem', [
    (False, False), (True, False), (False, True), (True, True)])
def test_one_step_loss_terms_and_update(avg_non_ignore, ohem, one_thread):
    model = build_model(avg_non_ignore, ohem)
    reference = copy.deepcopy(model)
    data = batch()

    optim_wrapper = OPTIM_WRAPPERS.build(dict(type='OptimWrapper', optimizer=torch.optim.SGD(
        model.parameters(), **SGD)))
    model.train()
    log_vars = model.train_step(data, optim_wrapper)

    reference.train()
    terms = hand_loss_terms(reference, data, avg_non_ignore, ohem)
    optimizer = torch.optim.SGD(reference.parameters(), **SGD)
    sum(terms.values()).backward()
    optimizer.step()

    for name, value in terms.items():
        torch.testing.assert_close(log_vars[name].float(), value.detach(), rtol=1e-6, atol=0)
    torch.testing.assert_close(log_vars['loss'].float(), sum(terms.values()).detach(),
                               rtol=1e-6, atol=0)
    updated, expected = model.state_dict(), reference.state_dict()
    for key, value in expected.items():
        torch.testing.assert_close(updated[key], value, rtol=1e-5, atol=1e-7, msg=key)

