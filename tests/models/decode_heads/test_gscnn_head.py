import pytest
import torch
from mmengine.structures import PixelData

from segkit.models.decode_heads import GSCNNHead
from segkit.utils.errors import ConfigError
from tests.helpers import make_samples

SIZE = 32  # input size; the fine map is at 1/4, the gating maps at 1/8


def build(**kwargs):
    cfg = dict(in_channels=(8, 12, 16, 20), in_index=(0, 1, 2, 3),
               input_transform='multiple_select', channels=8, dilations=(1, 2), num_classes=3,
               norm_cfg=dict(type='BN'))
    return GSCNNHead(**{**cfg, **kwargs})


def features(batch=2, gradient=True):
    torch.manual_seed(0)
    feats = [torch.randn(batch, 8, SIZE // 4, SIZE // 4)]
    feats += [torch.randn(batch, c, SIZE // 8, SIZE // 8) for c in (12, 16, 20)]
    if gradient:
        feats.append((torch.rand(batch, 1, SIZE, SIZE) > 0.8).float())
    return tuple(feats)


def samples_with_edges(batch=2):
    labels = torch.randint(0, 3, (batch, SIZE, SIZE))
    samples = make_samples(labels)
    for sample in samples:
        sample.gt_edge_map = PixelData(data=torch.randint(0, 2, (1, SIZE, SIZE), dtype=torch.uint8))
    return samples


def test_structure_follows_the_paper():
    head = build()
    assert [b.conv1.in_channels for b in head.shape_blocks] == [64, 32, 16]
    assert [(c.in_channels, c.out_channels) for c in head.shape_reductions] == \
        [(64, 32), (32, 16), (16, 8)]
    assert [g.in_channels for g in head.gates] == [32, 16, 8]
    assert [c.in_channels for c in head.gate_reductions] == [12, 16, 20]
    assert head.edge_out.out_channels == 1 and head.fuse_gradient.in_channels == 2
    # ASPP: image pooling + edge branch + one branch per rate, on the last gating map.
    assert head.bottleneck.conv.in_channels == (2 + 2) * 8
    assert head.aspp_modules[0].conv.in_channels == 20
    assert head.fine_project.conv.out_channels == 48
    assert head.decoder[0].conv.in_channels == 8 + 48


def test_outputs_losses_and_gradients():
    head = build()
    seg_logits, edge_logits = head(features())
    assert seg_logits.shape == (2, 3, SIZE // 4, SIZE // 4)
    assert edge_logits.shape == (2, 1, SIZE, SIZE)
    losses = head.loss(features(), samples_with_edges())
    assert set(losses) == {'loss_ce', 'acc_seg', 'loss_edge', 'loss_att', 'loss_dual'}
    sum(v for k, v in losses.items() if k.startswith('loss_')).backward()
    unused = [n for n, p in head.named_parameters() if p.grad is None]
    assert not unused, f'parameters without gradient (DDP would fail): {unused}'


def test_image_gradient_reaches_the_segmentation():
    head = build().eval()
    feats = features()
    with torch.no_grad():
        before = head(feats)[0]
        after = head((*feats[:-1], 1 - feats[-1]))[0]
    assert not torch.allclose(before, after)


def test_predict_with_and_without_edge():
    head = build().eval()
    with torch.no_grad():
        seg = head.predict(features(), size=(40, 40))
        seg2, edge = head.predict_with_edge(features(), size=(40, 40))
    assert seg.shape == (2, 3, 40, 40) and torch.equal(seg, seg2)
    assert edge.shape == (2, 1, 40, 40) and 0 <= edge.min() and edge.max() <= 1


def test_losses_can_be_turned_off():
    head = build(loss_edge=None, loss_attention=None, loss_dual=None)
    labels = torch.randint(0, 3, (2, SIZE, SIZE))
    assert set(head.loss(features(), make_samples(labels))) == {'loss_ce', 'acc_seg'}


def test_user_mistakes():
    with pytest.raises(ConfigError, match='multiple_select'):
        GSCNNHead(in_channels=20, in_index=3, channels=8, num_classes=3,
                  norm_cfg=dict(type='BN'))
    with pytest.raises(ConfigError, match='norm_cfg'):
        build(norm_cfg=None)
    with pytest.raises(ConfigError, match='ignore_index'):
        build(loss_dual=dict(type='DualTaskLoss', ignore_index=0))
    with pytest.raises(ConfigError, match='GSCNNEncoderDecoder'):
        build()(features(gradient=False) + (torch.randn(2, 20, 4, 4),))
    labels = torch.randint(0, 3, (2, SIZE, SIZE))
    with pytest.raises(ConfigError, match='GenerateEdge'):
        build().loss(features(), make_samples(labels))
