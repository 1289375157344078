"""What every loss inherits from BaseLoss: the loss_name check and its stored settings."""
import pytest
import torch

from segkit.models.losses import (BoundaryBCELoss, CrossEntropyLoss, DiceLoss, DualTaskLoss,
                                  EdgeAttentionLoss, FocalLoss, LovaszLoss)
from segkit.utils.errors import ConfigError

ALL_LOSSES = [CrossEntropyLoss, DiceLoss, FocalLoss, LovaszLoss, BoundaryBCELoss, DualTaskLoss,
              EdgeAttentionLoss]
CLASS_WEIGHTED = [CrossEntropyLoss, DiceLoss, FocalLoss, LovaszLoss]


@pytest.mark.parametrize('loss_cls', ALL_LOSSES)
def test_loss_name_must_start_with_loss(loss_cls):
    with pytest.raises(ConfigError, match=rf"^{loss_cls.__name__} loss_name 'ce' must start "
                                          r"with 'loss_' to be summed into the total loss$"):
        loss_cls(loss_name='ce')
    loss = loss_cls(loss_weight=0.4, loss_name='loss_x', ignore_index=7)
    assert (loss.loss_weight, loss.loss_name, loss.ignore_index) == (0.4, 'loss_x', 7)


@pytest.mark.parametrize('loss_cls', CLASS_WEIGHTED)
def test_class_weight_is_a_buffer_outside_the_state_dict(loss_cls):
    loss = loss_cls(class_weight=[1.0, 2.0])
    assert torch.equal(loss.class_weight, torch.tensor([1.0, 2.0]))
    assert 'class_weight' in dict(loss.named_buffers()) and not loss.state_dict()
    assert loss_cls().class_weight is None
