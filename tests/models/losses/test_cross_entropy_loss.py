import math

import torch
import torch.nn.functional as F

from segkit.models.losses import CrossEntropyLoss


def test_matches_torch_and_ignores():
    logits = torch.randn(2, 3, 4, 4)
    label = torch.randint(0, 3, (2, 4, 4))
    label[0, 0] = 255
    expected = F.cross_entropy(logits, label, ignore_index=255)
    assert torch.allclose(CrossEntropyLoss()(logits, label), expected)


def test_class_weight_is_a_weighted_mean():
    logits = torch.randn(1, 2, 2, 2)
    label = torch.tensor([[[0, 1], [1, 255]]])
    weight = [1.0, 3.0]
    expected = F.cross_entropy(logits, label, weight=torch.tensor(weight), ignore_index=255)
    assert torch.allclose(CrossEntropyLoss(class_weight=weight)(logits, label), expected)


def test_avg_over_all_pixels_when_asked_and_loss_weight():
    logits = torch.zeros(1, 2, 1, 2)
    label = torch.tensor([[[0, 255]]])
    loss = CrossEntropyLoss(avg_non_ignore=False, loss_weight=2.0)(logits, label)
    assert math.isclose(loss.item(), 2.0 * math.log(2) / 2, rel_tol=1e-6)


def test_all_ignored_is_zero_not_nan():
    logits = torch.randn(1, 3, 2, 2, requires_grad=True)
    loss = CrossEntropyLoss()(logits, torch.full((1, 2, 2), 255))
    assert loss.item() == 0
    loss.backward()
    assert torch.isfinite(logits.grad).all()


def test_sigmoid_variant():
    logits = torch.randn(1, 3, 2, 2)
    label = torch.tensor([[[0, 1], [2, 255]]])
    one_hot = F.one_hot(label.clamp(max=2), 3).permute(0, 3, 1, 2).float()
    per_pixel = F.binary_cross_entropy_with_logits(logits, one_hot, reduction='none').sum(1)
    expected = per_pixel[label != 255].mean()
    assert torch.allclose(CrossEntropyLoss(use_sigmoid=True)(logits, label), expected)


def test_bad_settings_are_config_errors():
    import pytest

    from segkit.utils.errors import ConfigError
    with pytest.raises(ConfigError, match="'ce' must start with 'loss_'"):
        CrossEntropyLoss(loss_name='ce')
    with pytest.raises(ConfigError, match='class_weight has 2 entries but the model predicts 3'):
        CrossEntropyLoss(class_weight=[1.0, 2.0])(torch.randn(1, 3, 2, 2),
                                                  torch.zeros(1, 2, 2, dtype=torch.long))
