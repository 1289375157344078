"""Every loss stays finite on all-ignored and single-class images, with finite gradients."""
import pytest
import torch

from segkit.models.losses import DiceLoss, FocalLoss, LovaszLoss

LOSSES = {
    'dice': dict(type=DiceLoss),
    'focal_sigmoid': dict(type=FocalLoss),
    'focal_softmax': dict(type=FocalLoss, use_sigmoid=False, gamma=0.5, alpha=[1.0, 2.0, 3.0]),
    'lovasz_present': dict(type=LovaszLoss),
    'lovasz_all_per_image': dict(type=LovaszLoss, classes='all', per_image=True),
}


def build(name):
    cfg = dict(LOSSES[name])
    return cfg.pop('type')(**cfg)


@pytest.mark.parametrize('name', LOSSES)
@pytest.mark.parametrize('fill', [255, 1], ids=['all_ignored', 'single_class'])
def test_finite_value_and_gradient(name, fill):
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 4, 4, requires_grad=True)
    label = torch.full((2, 4, 4), fill)
    loss = build(name)(logits, label)
    assert torch.isfinite(loss) and loss.dim() == 0
    if fill == 255:
        assert loss.item() == 0
    loss.backward()
    assert torch.isfinite(logits.grad).all()
    if fill == 255:
        assert (logits.grad == 0).all()


@pytest.mark.parametrize('name', LOSSES)
def test_gradient_finite_on_confident_logits_and_mixed_batch(name):
    logits = (torch.randn(2, 3, 4, 4) * 30).requires_grad_()
    label = torch.randint(0, 3, (2, 4, 4))
    label[0] = 255  # one image fully ignored
    loss = build(name)(logits, label)
    loss.backward()
    assert torch.isfinite(loss) and loss.item() > 0
    assert torch.isfinite(logits.grad).all() and logits.grad[1].abs().sum() > 0
