import pytest
import torch
import torch.nn.functional as F

from segkit.models.losses import LovaszLoss
from segkit.utils.errors import ConfigError


def reference_lovasz(logits, label, classes='present', per_image=False, ignore_index=255):
    """Berman et al.'s reference algorithm: a loop over classes on the flattened pixels."""
    probs = logits.softmax(dim=1)
    if per_image:
        return sum(reference_lovasz(logits[n:n + 1], label[n:n + 1], classes, False,
                                    ignore_index) for n in range(len(label))) / len(label)
    probs = probs.permute(0, 2, 3, 1).reshape(-1, logits.shape[1])
    label = label.reshape(-1)
    keep = label != ignore_index
    probs, label = probs[keep], label[keep]
    if len(label) == 0:
        return 0.0
    losses = []
    for c in (range(logits.shape[1]) if isinstance(classes, str) else classes):
        fg = (label == c).float()
        if classes == 'present' and fg.sum() == 0:
            continue
        errors, perm = (fg - probs[:, c]).abs().sort(descending=True)
        fg_sorted = fg[perm]
        gts = fg_sorted.sum()
        jaccard = 1 - (gts - fg_sorted.cumsum(0)) / (gts + (1 - fg_sorted).cumsum(0))
        jaccard[1:] = jaccard[1:] - jaccard[:-1].clone()
        losses.append(float(errors @ jaccard))
    return sum(losses) / len(losses) if losses else 0.0


@pytest.mark.parametrize('classes', ['present', 'all', [0, 2]])
@pytest.mark.parametrize('per_image', [False, True])
def test_matches_reference(classes, per_image):
    torch.manual_seed(0)
    logits = torch.randn(2, 4, 3, 5)
    label = torch.randint(0, 3, (2, 3, 5))  # class 3 absent: 'present' and 'all' differ
    label[0, 0] = 255
    loss = LovaszLoss(classes=classes, per_image=per_image)(logits, label)
    assert loss.item() == pytest.approx(reference_lovasz(logits, label, classes, per_image),
                                        rel=1e-5)


def test_hard_predictions_give_one_minus_iou():
    label = torch.tensor([[[0, 0, 1, 1]]])
    pred = torch.tensor([[[0, 1, 1, 1]]])
    logits = F.one_hot(pred, 2).permute(0, 3, 1, 2).float() * 40
    # class 0: IoU 1/2, class 1: IoU 2/3 -> mean of (1 - IoU) = 5/12
    assert LovaszLoss()(logits, label).item() == pytest.approx(5 / 12, abs=1e-6)


def test_class_weight_is_a_weighted_mean_over_classes():
    label = torch.tensor([[[0, 0, 1, 1]]])
    logits = F.one_hot(torch.tensor([[[0, 1, 1, 1]]]), 2).permute(0, 3, 1, 2).float() * 40
    loss = LovaszLoss(class_weight=[3.0, 1.0], loss_weight=2.0)(logits, label)
    assert loss.item() == pytest.approx(2.0 * (3 * 0.5 + 1 / 3) / 4, abs=1e-6)


def test_weight_mask_drops_pixels_and_soft_weight_fails():
    torch.manual_seed(1)
    logits = torch.randn(1, 3, 3, 3)
    label = torch.randint(0, 3, (1, 3, 3))
    weight = torch.ones(1, 3, 3)
    weight[0, :, 0] = 0
    ignored = label.clone()
    ignored[0, :, 0] = 255
    assert torch.allclose(LovaszLoss()(logits, label, weight=weight), LovaszLoss()(logits, ignored))
    with pytest.raises(ConfigError, match='0/1 pixel weight'):
        LovaszLoss()(logits, label, weight=weight * 0.5)


def test_bad_classes():
    with pytest.raises(ConfigError, match="'some'"):
        LovaszLoss(classes='some')
    with pytest.raises(ConfigError, match='0..2'):
        LovaszLoss(classes=[0, 3])(torch.randn(1, 3, 2, 2), torch.zeros(1, 2, 2).long())
