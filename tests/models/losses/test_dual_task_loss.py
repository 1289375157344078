import math

import pytest
import torch

from segkit.models.losses import DualTaskLoss
from segkit.models.losses.dual_task_loss import gradient_magnitude
from segkit.utils.errors import ConfigError


def two_regions(split: int, height: int = 4, width: int = 6) -> torch.Tensor:
    """Labels: class 0 left of column ``split``, class 1 from it on."""
    label = torch.zeros(1, height, width, dtype=torch.long)
    label[..., split:] = 1
    return label


def confident_logits(label: torch.Tensor, num_classes: int = 2, margin: float = 50.0):
    """Logits so sure of ``label`` that the Gumbel-softmax sample is its one-hot."""
    one_hot = torch.nn.functional.one_hot(label, num_classes).permute(0, 3, 1, 2).float()
    return (one_hot * 2 - 1) * margin


def test_gradient_magnitude_of_a_step():
    step = two_regions(3).float()[:, None]
    mag = gradient_magnitude(step)[0, 0]
    expected = torch.zeros(4, 6)
    expected[:, 2:4] = 1 / math.sqrt(2)  # central difference 1 on both sides of the step
    assert torch.allclose(mag, expected)
    assert torch.equal(gradient_magnitude(torch.ones(1, 1, 3, 3)), torch.zeros(1, 1, 3, 3))


def test_hand_computed_value():
    loss_fn = DualTaskLoss(loss_weight=1.0)
    label = two_regions(3)
    assert loss_fn(confident_logits(label), label) == 0
    # Predicted boundary one column right of the true one: in each class channel the
    # true edge columns are 2, 3 and the predicted ones 3, 4; |difference| = 1/sqrt(2) at
    # columns 2 and 4. Mean over the predicted set (cols 3, 4) and over the true set
    # (cols 2, 3): 1/(2 sqrt 2) each.
    loss = loss_fn(confident_logits(two_regions(4)), label)
    assert torch.isclose(loss, torch.tensor(1 / (2 * math.sqrt(2))))
    # Boundaries in the right place but the classes swapped: no boundary error (a loss on
    # the maps themselves, as the official code's identity 'gradient' gives, would be 1).
    assert loss_fn(confident_logits(1 - label), label) == 0


def test_gradient_where_boundaries_differ():
    torch.manual_seed(0)
    label = two_regions(3, height=6, width=10)
    logits = confident_logits(two_regions(6, height=6, width=10), margin=1.0)
    logits.requires_grad_()
    DualTaskLoss()(logits, label).backward()
    grad = logits.grad.abs().sum(dim=(0, 1, 2))  # per column
    # Both boundaries (columns 2-3 true, 5-6 predicted) and their neighbours get gradient.
    assert (grad[1:8] > 0).all()


def test_ignored_neighbourhoods_do_not_count_and_any_class_count():
    # A 1-px ignore band between the classes: the pixels next to it are left out.
    label = two_regions(3, width=7)
    label[..., 3] = 255
    prediction = two_regions(3, width=7)
    assert DualTaskLoss()(confident_logits(prediction), label) == 0
    label3 = torch.randint(0, 3, (2, 5, 5))
    loss = DualTaskLoss()(torch.randn(2, 3, 5, 5, requires_grad=True), label3)
    assert loss > 0 and torch.isfinite(loss)


def test_user_mistakes():
    with pytest.raises(ConfigError, match='tau'):
        DualTaskLoss(tau=0)
    with pytest.raises(ConfigError, match='loss_'):
        DualTaskLoss(loss_name='dual')
