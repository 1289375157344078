import pytest
import torch
from torch import nn

from segkit.models.decode_heads import NLHead
from segkit.models.layers import NonLocal2d
from tests.helpers import make_samples

BN = dict(type='BN')


def test_layout_and_parameter_names_match_mmseg():
    head = NLHead(in_channels=16, channels=8, num_classes=3, norm_cfg=BN, reduction=2,
                  mode='dot_product')
    assert isinstance(head.nl_block, NonLocal2d) and head.nl_block.mode == 'dot_product'
    assert head.nl_block.inter_channels == 4
    assert head.convs[0].conv.in_channels == 16 and head.convs[1].conv.in_channels == 8
    assert head.conv_cat.conv.in_channels == 16 + 8
    modules = {'.'.join(k.split('.')[:2 if k.startswith('convs') else 1])
               for k in head.state_dict()}
    assert modules == {'convs.0', 'nl_block', 'convs.1', 'conv_cat', 'conv_seg'}


def test_forward_order_convs_block_convs_concat():
    head = NLHead(in_channels=16, channels=8, num_classes=3, norm_cfg=BN).eval()
    for param in head.nl_block.parameters():  # make the block act
        nn.init.normal_(param, std=0.3)
    x = torch.randn(2, 16, 6, 6)
    with torch.no_grad():
        feat = head.convs[1](head.nl_block(head.convs[0](x)))
        expected = head.conv_seg(head.conv_cat(torch.cat([x, feat], dim=1)))
        assert torch.allclose(head((x,), (6, 6), {})['seg'], expected)
        without_block = head.conv_seg(head.conv_cat(torch.cat(
            [x, head.convs[1](head.convs[0](x))], dim=1)))
        assert not torch.allclose(head((x,), (6, 6), {})['seg'], without_block)


def test_block_is_identity_after_init_weights():
    head = NLHead(in_channels=16, channels=8, num_classes=3, norm_cfg=BN)
    head.init_weights()  # mmengine's init: conv_seg N(0, 0.01), the block its own init
    assert not head.nl_block.conv_out.bn.weight.any()
    x = torch.randn(1, 8, 5, 5)
    assert torch.equal(head.nl_block(x), x)


@pytest.mark.parametrize('sub_sample', [False, True])
def test_shapes_loss_and_gradients(sub_sample):
    head = NLHead(in_channels=16, channels=8, num_classes=3, norm_cfg=BN, sub_sample=sub_sample)
    feats = (torch.randn(2, 16, 8, 8),)
    assert head(feats, (32, 32), {})['seg'].shape == (2, 3, 8, 8)
    losses = head.loss(feats, (32, 32), {}, make_samples(torch.randint(0, 3, (2, 32, 32))))
    assert set(losses) == {'loss_ce', 'acc_seg'}
    losses['loss_ce'].backward()
    assert all(p.grad is not None for p in head.parameters())
    assert head.nl_block.conv_out.bn.weight.grad.abs().sum() > 0  # the block starts learning
    assert head.predict(feats, size=(32, 32))['seg'].shape == (2, 3, 32, 32)


def test_without_concat_input():
    head = NLHead(in_channels=16, channels=8, num_classes=3, concat_input=False)
    assert not hasattr(head, 'conv_cat')
    assert head((torch.randn(1, 16, 4, 4),), (4, 4), {})['seg'].shape == (1, 3, 4, 4)


def test_num_convs_is_not_an_argument():
    with pytest.raises(TypeError, match='num_convs'):
        NLHead(in_channels=16, channels=8, num_classes=3, num_convs=1)
