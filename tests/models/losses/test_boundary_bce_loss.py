import pytest
import torch
import torch.nn.functional as F

from segkit.models.losses import BoundaryBCELoss
from segkit.utils.errors import ConfigError


def test_class_balanced_bce_by_hand():
    logits = torch.tensor([0.5, -1.0, 2.0, 3.0]).view(1, 1, 1, 4).requires_grad_()
    label = torch.tensor([[[1, 0, 0, 255]]])
    loss = BoundaryBCELoss(loss_weight=20.0)(logits, label)
    # 3 counted pixels: 1 edge (weight 2/3 = negatives/total), 2 non-edge (weight 1/3).
    a, b, c = 0.5, -1.0, 2.0
    by_hand = (2 / 3 * F.softplus(torch.tensor(-a)) + 1 / 3 * F.softplus(torch.tensor(b))
               + 1 / 3 * F.softplus(torch.tensor(c))) / 3 * 20
    assert torch.isclose(loss, by_hand)
    loss.backward()
    grad = logits.grad.flatten()
    sigmoid = torch.sigmoid(torch.tensor([a, b, c]))
    expected = 20 / 3 * torch.stack([2 / 3 * (sigmoid[0] - 1), 1 / 3 * sigmoid[1],
                                     1 / 3 * sigmoid[2]])
    assert torch.allclose(grad[:3], expected)
    assert grad[3] == 0  # the ignored pixel


def test_takes_logits_not_probabilities():
    # A confident, correct logit costs almost nothing; the same value read as a
    # probability (BCE on an already sigmoided map) would not.
    label = torch.tensor([[[1, 0]]])
    loss = BoundaryBCELoss(loss_weight=1.0)(torch.tensor([10.0, -10.0]).view(1, 1, 1, 2), label)
    assert loss < 1e-4


def test_no_edges_or_all_ignored_gives_zero():
    loss_fn = BoundaryBCELoss()
    logits = torch.randn(2, 1, 3, 3, requires_grad=True)
    assert loss_fn(logits, torch.zeros(2, 3, 3, dtype=torch.long)) == 0
    loss = loss_fn(logits, torch.full((2, 3, 3), 255))
    assert loss == 0
    loss.backward()
    assert torch.equal(logits.grad, torch.zeros_like(logits))


def test_loss_name_is_checked():
    with pytest.raises(ConfigError, match='loss_'):
        BoundaryBCELoss(loss_name='edge')
