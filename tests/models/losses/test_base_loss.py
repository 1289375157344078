"""What every loss inherits from BaseLoss: the loss_name check, its stored settings and how a
head applies it."""
import pytest
import torch

from segkit.models.losses import (BoundaryBCELoss, CrossEntropyLoss, DiceLoss, DualTaskLoss,
                                  EdgeAttentionLoss, FocalLoss, LovaszLoss)
from segkit.models.losses.base_loss import BaseLoss
from segkit.utils.errors import ConfigError

ALL_LOSSES = [CrossEntropyLoss, DiceLoss, FocalLoss, LovaszLoss, BoundaryBCELoss, DualTaskLoss,
              EdgeAttentionLoss]
CLASS_WEIGHTED = [CrossEntropyLoss, DiceLoss, FocalLoss, LovaszLoss]


@pytest.mark.parametrize('loss_cls', ALL_LOSSES)
def test_loss_name_must_start_with_loss(loss_cls):
    with pytest.raises(ConfigError, match=rf"^{loss_cls.__name__} loss_name 'ce' must start "
                                          r"with 'loss_' to be summed into the total loss$"):
        loss_cls(loss_name='ce')
    loss = loss_cls(loss_weight=0.4, loss_name='loss_x', output='out', target='gt_x')
    assert (loss.loss_weight, loss.loss_name, loss.output, loss.target) == \
        (0.4, 'loss_x', 'out', 'gt_x')


@pytest.mark.parametrize('loss_cls', CLASS_WEIGHTED)
def test_class_weight_is_a_buffer_outside_the_state_dict(loss_cls):
    loss = loss_cls(class_weight=[1.0, 2.0])
    assert torch.equal(loss.class_weight, torch.tensor([1.0, 2.0]))
    assert 'class_weight' in dict(loss.named_buffers()) and not loss.state_dict()
    assert loss_cls().class_weight is None


@pytest.mark.parametrize('loss_cls', ALL_LOSSES)
def test_default_output_and_target(loss_cls):
    loss = loss_cls()
    edge = loss_cls is BoundaryBCELoss
    assert (loss.output, loss.target) == \
        (('edge', 'gt_edge_map') if edge else ('seg', 'gt_sem_seg'))
    assert loss.reads == ((loss.output, 'edge') if loss_cls is EdgeAttentionLoss
                          else (loss.output,))


def test_from_outputs_reads_the_named_output_and_target_with_the_heads_ignore_index():
    torch.manual_seed(0)
    logits, other = torch.randn(2, 3, 4, 5), torch.randn(2, 3, 4, 5)
    label = torch.randint(0, 3, (2, 4, 5))
    outputs, targets = dict(seg=other, aux=logits), dict(gt_sem_seg=label.flip(0), gt_x=label)
    loss = CrossEntropyLoss(output='aux', target='gt_x')
    for ignore_index in (0, 255):
        assert torch.equal(loss.from_outputs(outputs, targets, ignore_index=ignore_index),
                           loss(logits, label, ignore_index=ignore_index))
    assert not torch.equal(loss.from_outputs(outputs, targets, ignore_index=0),
                           loss.from_outputs(outputs, targets, ignore_index=255))


def test_from_outputs_passes_pixel_weights_only_to_pixel_weighted_losses():
    torch.manual_seed(0)
    logits, label = torch.randn(1, 3, 4, 4), torch.randint(0, 3, (1, 4, 4))
    edge = torch.randn(1, 1, 4, 4)
    weight = torch.zeros(1, 4, 4)
    weight[0, :2] = 1
    outputs, targets = dict(seg=logits, edge=edge), dict(gt_sem_seg=label)
    ce = CrossEntropyLoss()
    assert torch.equal(ce.from_outputs(outputs, targets, 255, weight=weight),
                       ce(logits, label, weight=weight))
    assert not torch.equal(ce.from_outputs(outputs, targets, 255, weight=weight),
                           ce(logits, label))
    attention = EdgeAttentionLoss(threshold=0.0)
    assert torch.equal(attention.from_outputs(outputs, targets, 255, weight=weight),
                       attention(logits, label, edge))


@pytest.mark.parametrize('loss_cls', CLASS_WEIGHTED)
def test_calling_a_loss_checks_its_class_weight_against_the_prediction(loss_cls):
    logits, label = torch.randn(1, 3, 4, 4), torch.randint(0, 3, (1, 4, 4))
    with pytest.raises(ConfigError, match=rf'^{loss_cls.__name__} class_weight has 2 entries '
                                          r'but the model predicts 3 classes$'):
        loss_cls(class_weight=[1.0, 2.0])(logits, label)


def test_a_new_loss_implements_loss_and_inherits_weighting_and_class_checks():
    class MeanErrorLoss(BaseLoss):
        def __init__(self, class_weight=None, loss_weight=1.0):
            super().__init__(loss_weight=loss_weight, loss_name='loss_err', output='seg',
                             target='gt_sem_seg', class_weight=class_weight)

        def loss(self, seg_logits, seg_label, ignore_index=255):
            return (seg_logits.argmax(dim=1) != seg_label).float().mean()

    torch.manual_seed(0)
    logits, label = torch.randn(2, 3, 4, 4), torch.randint(0, 3, (2, 4, 4))
    unweighted = MeanErrorLoss()(logits, label)
    assert unweighted > 0
    assert torch.equal(MeanErrorLoss(loss_weight=0.5)(logits, label), 0.5 * unweighted)
    with pytest.raises(ConfigError, match='^MeanErrorLoss class_weight has 4 entries but the '
                                          'model predicts 3 classes$'):
        MeanErrorLoss(class_weight=[1.0] * 4)(logits, label)
