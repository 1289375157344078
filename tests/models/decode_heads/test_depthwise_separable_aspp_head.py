"""DeepLabV3+: MMSegmentation's layout and logits, the decoder with and without C2."""
import copy
import os.path as osp

import pytest
import torch

from segkit.models.decode_heads import DepthwiseSeparableASPPHead
from segkit.registry import MODELS
from segkit.utils.errors import ConfigError
from tests.checkpoint import mmseg_reference_keys as ref_keys
from tests.helpers import make_samples
from tests.models.decode_heads import deeplabv3plus_reference as ref

# MMSegmentation 1.2.2's EncoderDecoder.encode_decode for ref.MODEL with ref.fixed_weights on
# ref.fixed_input(), recorded in MMSegmentation's own environment.
MMSEG_LOGITS = osp.join(osp.dirname(__file__), 'data', 'deeplabv3plus_mmseg_logits.pt')


def test_logits_match_mmsegmentation():
    model = MODELS.build(copy.deepcopy(ref.MODEL)).eval()
    expected_keys = {**ref_keys.resnet_v1c_widths(18, stem=16, base=16),
                     **ref_keys.sep_aspp_head(128, 16, ref.NUM_CLASSES, c1_in=16, c1_channels=8)}
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == expected_keys
    model.load_state_dict(ref.fixed_weights(model.state_dict()))
    with torch.no_grad():
        logits = model(ref.fixed_input(), mode='tensor')
    expected = torch.load(MMSEG_LOGITS, weights_only=True)
    assert logits.shape == expected.shape == (*ref.INPUT_SHAPE[:1], ref.NUM_CLASSES,
                                              *ref.INPUT_SHAPE[2:])
    torch.testing.assert_close(logits, expected, rtol=1e-5, atol=1e-5)


def test_decoder_shapes_loss_and_gradients():
    head = DepthwiseSeparableASPPHead(in_channels=32, channels=8, num_classes=3,
                                      dilations=(1, 2, 3), c1_in_channels=16, c1_channels=4,
                                      norm_cfg=dict(type='BN'))
    assert head.aspp_modules[0].conv.kernel_size == (1, 1)
    assert [m.depthwise_conv.conv.dilation[0] for m in list(head.aspp_modules)[1:]] == [2, 3]
    assert head.sep_bottleneck[0].depthwise_conv.conv.in_channels == 8 + 4
    feats = (torch.randn(2, 16, 16, 16), torch.randn(2, 32, 4, 4))
    assert head(feats, (64, 64), {})['seg'].shape == (2, 3, 16, 16)  # at the C2 size
    losses = head.loss(feats, (64, 64), {}, make_samples(torch.randint(0, 3, (2, 64, 64))))
    losses['loss_ce'].backward()
    assert all(p.grad is not None for p in head.parameters())


def test_without_low_level_branch():
    head = DepthwiseSeparableASPPHead(in_channels=32, channels=8, num_classes=3,
                                      dilations=(1, 2), c1_in_channels=0,
                                      norm_cfg=dict(type='BN'))
    assert head.c1_bottleneck is None
    assert head.sep_bottleneck[0].depthwise_conv.conv.in_channels == 8
    feats = (torch.randn(2, 16, 16, 16), torch.randn(2, 32, 4, 4))
    assert head(feats, (64, 64), {})['seg'].shape == (2, 3, 4, 4)


def test_negative_c1_in_channels_is_refused():
    with pytest.raises(ConfigError, match=r'^DepthwiseSeparableASPPHead c1_in_channels -1: '
                                          r'expected the channels of backbone output 0, or 0 '
                                          r'for none$'):
        DepthwiseSeparableASPPHead(in_channels=32, channels=8, num_classes=3, c1_in_channels=-1)
