import math

import pytest
import torch
import torch.nn.functional as F

from segkit.models.losses import CrossEntropyLoss, FocalLoss
from segkit.utils.errors import ConfigError


def direct_sigmoid_focal(logits, label, gamma, alpha, class_weight=None, ignore_index=255):
    num, num_classes, height, width = logits.shape
    alpha = alpha if isinstance(alpha, list) else [alpha] * num_classes
    class_weight = class_weight or [1.0] * num_classes
    total, count = 0.0, 0
    for n in range(num):
        for i in range(height):
            for j in range(width):
                y = int(label[n, i, j])
                if y == ignore_index:
                    continue
                count += 1
                for c in range(num_classes):
                    p = 1 / (1 + math.exp(-float(logits[n, c, i, j])))
                    if c == y:
                        term = -alpha[c] * (1 - p)**gamma * math.log(p)
                    else:
                        term = -(1 - alpha[c]) * p**gamma * math.log(1 - p)
                    total += class_weight[c] * term
    return total / count


def direct_softmax_focal(logits, label, gamma, alpha, class_weight=None, ignore_index=255):
    num, num_classes, height, width = logits.shape
    probs = logits.softmax(dim=1)
    alpha = alpha if isinstance(alpha, list) else [alpha] * num_classes
    class_weight = class_weight or [1.0] * num_classes
    total = weights = 0.0
    for n in range(num):
        for i in range(height):
            for j in range(width):
                y = int(label[n, i, j])
                if y == ignore_index:
                    continue
                p = float(probs[n, y, i, j])
                total += class_weight[y] * -alpha[y] * (1 - p)**gamma * math.log(p)
                weights += class_weight[y]
    return total / weights


@pytest.fixture
def case():
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 2, 3)
    label = torch.randint(0, 3, (2, 2, 3))
    label[1, 0] = 255
    return logits, label


@pytest.mark.parametrize('alpha', [0.25, [0.2, 0.5, 0.8]])
def test_sigmoid_matches_direct_computation(case, alpha):
    logits, label = case
    loss = FocalLoss(gamma=2.0, alpha=alpha, class_weight=[1.0, 2.0, 0.5])(logits, label)
    expected = direct_sigmoid_focal(logits, label, 2.0, alpha, [1.0, 2.0, 0.5])
    assert loss.item() == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize('alpha', [1.0, [0.2, 0.5, 0.8]])
def test_softmax_matches_direct_computation(case, alpha):
    logits, label = case
    loss = FocalLoss(use_sigmoid=False, gamma=1.5, alpha=alpha,
                     class_weight=[1.0, 2.0, 0.5], loss_weight=3.0)(logits, label)
    expected = direct_softmax_focal(logits, label, 1.5, alpha, [1.0, 2.0, 0.5])
    assert loss.item() == pytest.approx(3.0 * expected, rel=1e-5)


def test_gamma_zero_is_cross_entropy(case):
    logits, label = case
    softmax = FocalLoss(use_sigmoid=False, gamma=0.0, alpha=1.0)(logits, label)
    assert torch.allclose(softmax, F.cross_entropy(logits, label, ignore_index=255))
    sigmoid = FocalLoss(gamma=0.0, alpha=0.5)(logits, label)
    assert torch.allclose(sigmoid, 0.5 * CrossEntropyLoss(use_sigmoid=True)(logits, label))


def test_easy_pixels_weigh_less():
    label = torch.zeros(1, 1, 2).long()
    logits = torch.tensor([[[[3.0, -1.0]], [[0.0, 0.0]]]])  # pixel 0 easy, pixel 1 hard
    focal = FocalLoss(use_sigmoid=False, gamma=2.0, alpha=1.0)
    ce = F.cross_entropy(logits, label, reduction='none')[0, 0]
    per_pixel = [focal(logits[..., i:i + 1], label[..., i:i + 1]).item() for i in range(2)]
    assert per_pixel[0] / ce[0].item() < 0.01 < per_pixel[1] / ce[1].item()


def test_bad_arguments():
    with pytest.raises(ConfigError, match='gamma'):
        FocalLoss(gamma=-1)
    with pytest.raises(ConfigError, match='alpha has 2 entries'):
        FocalLoss(alpha=[0.5, 0.5])(torch.randn(1, 3, 2, 2), torch.zeros(1, 2, 2).long())
