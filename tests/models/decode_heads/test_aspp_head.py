import torch

from segkit.models.decode_heads import ASPPHead, FCNHead
from tests.helpers import make_samples


def test_aspp_branches_and_rates():
    head = ASPPHead(in_channels=32, channels=8, num_classes=3, dilations=(1, 12, 24, 36))
    assert len(head.aspp_modules) == 4
    assert [m.conv.dilation[0] for m in head.aspp_modules] == [1, 12, 24, 36]
    assert [m.conv.kernel_size[0] for m in head.aspp_modules] == [1, 3, 3, 3]
    assert [m.conv.padding[0] for m in head.aspp_modules] == [0, 12, 24, 36]
    assert head.bottleneck.conv.in_channels == 5 * 8


def test_aspp_shapes_loss_and_gradients():
    head = ASPPHead(in_channels=16, channels=8, num_classes=3, dilations=(1, 2),
                    norm_cfg=dict(type='BN'))
    feats = (torch.randn(2, 16, 8, 8),)
    assert head(feats, (32, 32), {})['seg'].shape == (2, 3, 8, 8)
    labels = torch.randint(0, 3, (2, 32, 32))
    losses = head.loss(feats, (32, 32), {}, make_samples(labels))
    assert set(losses) == {'loss_ce', 'acc_seg'}
    losses['loss_ce'].backward()
    assert all(p.grad is not None for p in head.parameters())
    assert head.predict(feats, size=(32, 32))['seg'].shape == (2, 3, 32, 32)


def test_fcn_head_concat_and_input_selection():
    head = FCNHead(in_channels=16, channels=8, num_classes=4, num_convs=2, concat_input=True,
                   in_index=1)
    out = head((torch.randn(1, 4, 8, 8), torch.randn(1, 16, 8, 8)), (8, 8), {})['seg']
    assert out.shape == (1, 4, 8, 8)
    assert head.conv_cat.conv.in_channels == 24
