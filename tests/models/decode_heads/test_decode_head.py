"""BaseDecodeHead: the shared contract (named outputs, losses bound to them, the classifier)."""
import pytest
import torch

from segkit.models.decode_heads import BaseDecodeHead
from segkit.utils.errors import ConfigError
from tests.helpers import make_samples


class ScoresHead(BaseDecodeHead):
    """A head whose features are the class scores, with dropout and no classifier."""

    has_classifier = False

    def forward(self, inputs, size, extras):
        return dict(seg=self.cls_seg(self._transform_inputs(inputs)))


class TwoOutputHead(BaseDecodeHead):
    output_names = ('seg', 'half')

    def forward(self, inputs, size, extras):
        seg = self.cls_seg(self._transform_inputs(inputs))
        return dict(seg=seg, half=seg[:, :, ::2, ::2])


def test_without_classifier_cls_seg_applies_the_dropout_only():
    head = ScoresHead(in_channels=3, channels=3, num_classes=3, dropout_ratio=0.5)
    assert head.conv_seg is None and not head.state_dict()
    x = torch.randn(1, 3, 8, 8)
    assert torch.equal(head.eval()((x,), (8, 8), {})['seg'], x)
    head.train()
    dropped = head.cls_seg(torch.ones(1, 3, 8, 8))
    assert set(dropped.unique().tolist()) <= {0.0, 2.0} and (dropped == 0).any()


def test_every_output_is_resized_to_the_label_size_for_its_loss():
    torch.manual_seed(0)
    head = TwoOutputHead(in_channels=4, channels=4, num_classes=3, dropout_ratio=0,
                         loss_decode=[dict(type='CrossEntropyLoss'),
                                      dict(type='CrossEntropyLoss', output='half',
                                           loss_name='loss_half', loss_weight=0.5)])
    feats = (torch.randn(2, 4, 8, 8),)
    labels = torch.randint(0, 3, (2, 16, 16))
    losses = head.loss(feats, (16, 16), {}, make_samples(labels))
    assert list(losses) == ['loss_ce', 'loss_half', 'acc_seg']
    outputs = head.predict(feats, (16, 16))
    assert outputs['half'].shape == (2, 3, 16, 16)
    ce = torch.nn.functional.cross_entropy
    assert torch.allclose(losses['loss_half'], 0.5 * ce(outputs['half'], labels))
    assert torch.allclose(losses['loss_ce'], ce(outputs['seg'], labels))


def test_a_loss_must_read_outputs_the_head_gives():
    with pytest.raises(ConfigError, match=r"^BoundaryBCELoss \(loss_edge\) reads output\(s\) "
                                          r"\['edge'\], but ScoresHead gives \['seg'\]$"):
        ScoresHead(in_channels=3, channels=3, num_classes=3,
                   loss_decode=[dict(type='CrossEntropyLoss'), dict(type='BoundaryBCELoss')])
