import pytest
import torch
import torch.nn.functional as F

from segkit.models.losses import DiceLoss
from segkit.utils.errors import ConfigError


def direct_dice(logits, label, smooth=1.0, exponent=2, class_weight=None, ignore_index=255):
    """Per image, per class, pixel by pixel."""
    probs = logits.softmax(dim=1)
    num, num_classes, height, width = logits.shape
    per_image = []
    for n in range(num):
        per_class = []
        for c in range(num_classes):
            inter = total = 0.0
            for i in range(height):
                for j in range(width):
                    y = int(label[n, i, j])
                    if y == ignore_index:
                        continue
                    p, t = float(probs[n, c, i, j]), float(y == c)
                    inter += p * t
                    total += p**exponent + t**exponent
            per_class.append(1 - (2 * inter + smooth) / (total + smooth))
        if class_weight is None:
            per_image.append(sum(per_class) / num_classes)
        else:
            per_image.append(sum(w * l for w, l in zip(class_weight, per_class))
                             / sum(class_weight))
    return sum(per_image) / num


def test_matches_direct_computation():
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 3, 4)
    label = torch.randint(0, 3, (2, 3, 4))
    label[0, 0, :2] = 255
    loss = DiceLoss(loss_weight=2.0)(logits, label)
    assert loss.item() == pytest.approx(2.0 * direct_dice(logits, label), rel=1e-5)


def test_class_weight_smooth_and_exponent():
    torch.manual_seed(1)
    logits = torch.randn(1, 3, 2, 3)
    label = torch.tensor([[[0, 1, 2], [2, 255, 1]]])
    loss = DiceLoss(smooth=0.5, exponent=1, class_weight=[1.0, 2.0, 3.0])(logits, label)
    expected = direct_dice(logits, label, smooth=0.5, exponent=1, class_weight=[1, 2, 3])
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_perfect_prediction_is_near_zero_and_wrong_one_is_not():
    label = torch.tensor([[[0, 1], [1, 1]]])
    perfect = F.one_hot(label, 2).permute(0, 3, 1, 2).float() * 50
    assert DiceLoss(smooth=1e-6)(perfect, label).item() < 1e-5
    assert DiceLoss(smooth=1e-6)(-perfect, label).item() > 0.99


def test_weight_drops_pixels_like_ignore():
    torch.manual_seed(2)
    logits = torch.randn(1, 3, 3, 3)
    label = torch.randint(0, 3, (1, 3, 3))
    weight = torch.ones(1, 3, 3)
    weight[0, 1] = 0
    ignored = label.clone()
    ignored[0, 1] = 255
    assert torch.allclose(DiceLoss()(logits, label, weight=weight), DiceLoss()(logits, ignored))


def test_bad_arguments():
    with pytest.raises(ConfigError, match='smooth'):
        DiceLoss(smooth=0)
    with pytest.raises(ConfigError, match='loss_'):
        DiceLoss(loss_name='dice')
    with pytest.raises(ConfigError, match='2 entries.*3 classes'):
        DiceLoss(class_weight=[1.0, 2.0])(torch.randn(1, 3, 2, 2), torch.zeros(1, 2, 2).long())
