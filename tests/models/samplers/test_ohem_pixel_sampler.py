import math

import pytest
import torch
import torch.nn.functional as F

from segkit.models.decode_heads import FCNHead
from segkit.models.samplers import OHEMPixelSampler
from segkit.registry import TASK_UTILS
from segkit.utils.errors import ConfigError

from tests.helpers import make_samples

# Confidence (probability of the true class) of each pixel of a 1x2x4 image; pixel 7 ignored.
CONFIDENCE = [0.9, 0.2, 0.6, 0.8, 0.1, 0.75, 0.3, 0.05]


def hand_made(confidence=CONFIDENCE):
    """Two-class logits whose true-class softmax probabilities are ``confidence``."""
    label = torch.tensor([[0, 1, 0, 1], [1, 0, 1, 255]])[None]
    logit = torch.tensor([math.log(p / (1 - p)) for p in confidence]).view(1, 2, 4)
    true_is_one = label == 1
    logits = torch.stack([torch.where(true_is_one, 0, logit), torch.where(true_is_one, logit, 0)],
                         dim=1)
    return logits, label


def kept(weight):
    return sorted(torch.nonzero(weight.flatten()).flatten().tolist())


def test_hand_made_case_has_the_intended_confidences():
    logits, label = hand_made()
    probs = logits.softmax(1).gather(1, label.clamp(max=1)[:, None])[:, 0].flatten()
    assert torch.allclose(probs[:7], torch.tensor(CONFIDENCE[:7]))


@pytest.mark.parametrize('thresh, min_kept, expected', [
    (0.7, 2, [1, 2, 4, 6]),          # below 0.7: 0.2, 0.6, 0.1, 0.3 (more than min_kept)
    (0.7, 6, [1, 2, 4, 5, 6, 3]),    # only 4 below: the 6 least confident instead
    (0.25, 0, [1, 4]),               # threshold alone
    (None, 3, [1, 4, 6]),            # the 3 hardest: 0.1, 0.2, 0.3
    (None, 100, [0, 1, 2, 3, 4, 5, 6]),  # more than there are: every non-ignored pixel
])
def test_keeps_exactly_the_hardest_pixels(thresh, min_kept, expected):
    logits, label = hand_made()
    weight = OHEMPixelSampler(thresh=thresh, min_kept=min_kept).sample(logits, label, 255)
    assert weight.shape == (1, 2, 4) and weight.dtype == torch.float32
    assert kept(weight) == sorted(expected)
    assert set(weight.unique().tolist()) <= {0.0, 1.0}
    assert weight[0, 1, 3] == 0  # the ignored pixel, though its logits look hard


def test_min_kept_is_per_image_but_chosen_over_the_batch():
    logits, label = hand_made()
    sampler = OHEMPixelSampler(min_kept=2)
    # Two copies: 2 x 2 pixels kept, the two hardest of each (0.1 and 0.2).
    weight = sampler.sample(logits.repeat(2, 1, 1, 1), label.repeat(2, 1, 1), ignore_index=255)
    assert kept(weight[0]) == kept(weight[1]) == [1, 4]
    # Second image all ignored: the 4 kept pixels all come from the first.
    weight = sampler.sample(logits.repeat(2, 1, 1, 1),
                            torch.cat([label, torch.full_like(label, 255)]), ignore_index=255)
    assert kept(weight[0]) == [1, 2, 4, 6] and weight[1].sum() == 0


def test_no_grad_and_all_ignored():
    logits = torch.randn(1, 3, 2, 2, requires_grad=True)
    weight = OHEMPixelSampler(thresh=0.7, min_kept=10).sample(
        logits, torch.full((1, 2, 2), 255), ignore_index=255)
    assert not weight.requires_grad and weight.sum() == 0


def test_head_averages_cross_entropy_over_kept_pixels_only():
    logits, label = hand_made()
    sampler = dict(type='OHEMPixelSampler', thresh=0.7, min_kept=2)
    head = FCNHead(in_channels=2, channels=2, num_classes=2, num_convs=0, concat_input=False,
                   sampler=sampler)
    assert isinstance(head.sampler, OHEMPixelSampler)
    losses = head.loss_by_feat(dict(seg=logits), make_samples(label))
    keep = torch.zeros(8, dtype=torch.bool)
    keep[[1, 2, 4, 6]] = True
    flat_logits = logits.permute(0, 2, 3, 1).reshape(-1, 2)
    expected = F.cross_entropy(flat_logits[keep], label.flatten()[keep])
    assert torch.allclose(losses['loss_ce'], expected)


def test_registered_and_checked():
    assert TASK_UTILS.get('OHEMPixelSampler') is OHEMPixelSampler
    with pytest.raises(ConfigError, match='thresh'):
        OHEMPixelSampler(thresh=1.5)
    with pytest.raises(ConfigError, match='min_kept'):
        OHEMPixelSampler(min_kept=-1)
    with pytest.raises(ConfigError, match='keep none'):
        OHEMPixelSampler(thresh=None, min_kept=0)
