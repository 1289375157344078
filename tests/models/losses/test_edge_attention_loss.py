import pytest
import torch
import torch.nn.functional as F

from segkit.models.losses import EdgeAttentionLoss
from segkit.utils.errors import ConfigError


def test_ce_only_where_edge_probability_exceeds_threshold():
    seg_logits = torch.tensor([[1.0, 0.0], [0.5, 2.0], [0.0, 1.0], [3.0, 0.0]])
    seg_logits = seg_logits.t().reshape(1, 2, 1, 4).clone().requires_grad_()
    label = torch.tensor([[[0, 1, 0, 255]]])
    # Edge probabilities 0.95, 0.05, 0.95, 0.95: pixels 0 and 2 count (3 is ignored).
    edge_logits = torch.tensor([3.0, -3.0, 3.0, 3.0]).view(1, 1, 1, 4).requires_grad_()
    loss = EdgeAttentionLoss(threshold=0.8, loss_weight=1.0)(seg_logits, label, edge_logits)
    by_hand = (F.cross_entropy(torch.tensor([[1.0, 0.0]]), torch.tensor([0]))
               + F.cross_entropy(torch.tensor([[0.0, 1.0]]), torch.tensor([0]))) / 2
    assert torch.isclose(loss, by_hand)
    loss.backward()
    grad = seg_logits.grad[0, :, 0]
    assert grad[:, 0].abs().sum() > 0 and grad[:, 2].abs().sum() > 0
    assert torch.equal(grad[:, 1], torch.zeros(2)) and torch.equal(grad[:, 3], torch.zeros(2))
    assert edge_logits.grad is None  # the mask is a threshold: no gradient to the edges


def test_no_confident_edge_gives_zero():
    seg_logits = torch.randn(1, 3, 4, 4, requires_grad=True)
    loss = EdgeAttentionLoss()(seg_logits, torch.zeros(1, 4, 4, dtype=torch.long),
                               torch.full((1, 1, 4, 4), -1.0))
    assert loss == 0
    loss.backward()
    assert torch.equal(seg_logits.grad, torch.zeros_like(seg_logits))


def test_user_mistakes():
    with pytest.raises(ConfigError, match='threshold'):
        EdgeAttentionLoss(threshold=1.5)
    with pytest.raises(ConfigError, match='loss_'):
        EdgeAttentionLoss(loss_name='att')
