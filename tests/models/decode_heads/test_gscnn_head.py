import pytest
import torch
from mmengine.structures import PixelData

from segkit.models.decode_heads import GSCNNHead
from segkit.models.losses import boundary_bce, cross_entropy, edge_attention_ce
from segkit.models.utils import resize
from segkit.utils.errors import ConfigError, DataError
from tests.helpers import make_samples

SIZE = 32  # input size; the fine map is at 1/4, the gating maps at 1/8


def build(**kwargs):
    cfg = dict(in_channels=(8, 12, 16, 20), in_index=(0, 1, 2, 3),
               input_transform='multiple_select', channels=8, dilations=(1, 2), num_classes=3,
               norm_cfg=dict(type='BN'))
    return GSCNNHead(**{**cfg, **kwargs})


def features(batch=2):
    torch.manual_seed(0)
    feats = [torch.randn(batch, 8, SIZE // 4, SIZE // 4)]
    feats += [torch.randn(batch, c, SIZE // 8, SIZE // 8) for c in (12, 16, 20)]
    return tuple(feats)


def extras(batch=2):
    """The named inputs: the image and its Canny edges."""
    torch.manual_seed(1)
    return dict(img=torch.randn(batch, 3, SIZE, SIZE),
                edge=(torch.rand(batch, 1, SIZE, SIZE) > 0.8).float())


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
    outputs = head(features(), (SIZE, SIZE), extras())
    assert outputs['seg'].shape == (2, 3, SIZE // 4, SIZE // 4)
    assert outputs['edge'].shape == (2, 1, SIZE, SIZE)
    losses = head.loss(features(), (SIZE, SIZE), extras(), samples_with_edges())
    assert list(losses) == ['loss_ce', 'loss_edge', 'loss_att', 'loss_dual', 'acc_seg']
    sum(v for k, v in losses.items() if k.startswith('loss_')).backward()
    unused = [n for n, p in head.named_parameters() if p.grad is None]
    assert not unused, f'parameters without gradient (DDP would fail): {unused}'


def test_losses_read_the_outputs_and_targets_their_configs_name():
    head = build()
    outputs = {k: v.detach() for k, v in head(features(), (SIZE, SIZE), extras()).items()}
    samples = samples_with_edges()
    losses = head.loss_by_feat(outputs, samples)
    seg = resize(outputs['seg'], (SIZE, SIZE))
    labels = torch.stack([s.gt_sem_seg.data[0] for s in samples])
    edge_labels = torch.stack([s.gt_edge_map.data[0] for s in samples]).long()
    assert torch.equal(losses['loss_edge'], 20 * boundary_bce(outputs['edge'], edge_labels))
    assert torch.equal(losses['loss_att'], edge_attention_ce(seg, labels, outputs['edge']))
    # Any loss reads the target its config names, with the head's ignore_index.
    head = build(loss_decode=[dict(type='CrossEntropyLoss'),
                              dict(type='CrossEntropyLoss', loss_name='loss_x',
                                   target='gt_edge_map')], ignore_index=1)
    value = head.loss_by_feat(outputs, samples)['loss_x']
    assert torch.equal(value, cross_entropy(seg, edge_labels, ignore_index=1))
    assert not torch.equal(value, cross_entropy(seg, edge_labels))


def test_canny_edges_reach_the_segmentation():
    head = build().eval()
    named = extras()
    with torch.no_grad():
        before = head(features(), (SIZE, SIZE), named)['seg']
        after = head(features(), (SIZE, SIZE), dict(named, edge=1 - named['edge']))['seg']
    assert not torch.allclose(before, after)


def test_predict_resizes_every_output():
    head = build().eval()
    with torch.no_grad():
        outputs = head.predict(features(), size=(40, 40), extras=extras())
    assert outputs['seg'].shape == (2, 3, 40, 40) and outputs['edge'].shape == (2, 1, 40, 40)


def test_losses_can_be_turned_off():
    head = build(loss_edge=None, loss_attention=None, loss_dual=None)
    labels = torch.randint(0, 3, (2, SIZE, SIZE))
    assert set(head.loss(features(), (SIZE, SIZE), extras(), make_samples(labels))) == \
        {'loss_ce', 'acc_seg'}


def test_user_mistakes():
    with pytest.raises(ConfigError, match='multiple_select'):
        GSCNNHead(in_channels=20, in_index=3, channels=8, num_classes=3,
                  norm_cfg=dict(type='BN'))
    with pytest.raises(ConfigError, match='norm_cfg'):
        build(norm_cfg=None)
    with pytest.raises(DataError, match=r"'edge' must be Canny edges \(N, 1, H, W\), got "
                                        r'\(2, 3, 32, 32\)'):
        build()(features(), (SIZE, SIZE), dict(extras(), edge=torch.randn(2, 3, SIZE, SIZE)))
    labels = torch.randint(0, 3, (2, SIZE, SIZE))
    with pytest.raises(ConfigError, match="GSCNNHead's loss_edge needs each sample's "
                                          r"gt_edge_map: put dict\(type='GenerateEdge'\)"):
        build().loss(features(), (SIZE, SIZE), extras(), make_samples(labels))
