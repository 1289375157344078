"""NonLocal2d: each mode against a direct computation, identity at init, sub-sampling, names."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from segkit.models.layers import NonLocal2d
from segkit.models.layers.non_local import NONLOCAL_MODES, attention_bytes
from segkit.utils.errors import ConfigError

C, H, W = 4, 6, 8  # 2 inter channels, 48 positions


def randomize(block: NonLocal2d) -> NonLocal2d:
    """Random weights everywhere (conv_out too, so the block is not the identity)."""
    torch.manual_seed(1)
    for param in block.parameters():
        nn.init.normal_(param, std=0.5)
    for module in block.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.normal_()
            module.running_var.uniform_(0.5, 2.0)
    return block.eval()


def conv1x1(x, conv_module):
    conv = conv_module.conv
    return F.conv2d(x, conv.weight, conv.bias)


def direct(block: NonLocal2d, x: torch.Tensor):
    """Attention and output written out with loops over positions; no code shared."""
    n = x.shape[0]
    pool = (lambda t: F.max_pool2d(t, 2)) if block.sub_sample else (lambda t: t)
    conv_g = block.g[0] if block.sub_sample else block.g
    g = pool(conv1x1(x, conv_g)).flatten(2)  # (n, C', Nk)
    if block.mode == 'gaussian':
        theta, phi = x.flatten(2), pool(x).flatten(2)
    else:
        conv_phi = block.phi[0] if block.sub_sample else block.phi
        theta, phi = conv1x1(x, block.theta).flatten(2), pool(conv1x1(x, conv_phi)).flatten(2)
    num_q, num_k = theta.shape[2], phi.shape[2]
    att = torch.zeros(n, num_q, num_k)
    for b in range(n):
        for i in range(num_q):
            for j in range(num_k):
                if block.mode == 'concatenation':
                    pair = torch.cat([theta[b, :, i], phi[b, :, j]])
                    weight = block.concat_project.conv.weight.flatten()
                    att[b, i, j] = F.relu(weight @ pair) / num_k
                else:
                    att[b, i, j] = theta[b, :, i] @ phi[b, :, j]
    if block.mode == 'embedded_gaussian':
        att = (att / theta.shape[1] ** 0.5 if block.use_scale else att).softmax(-1)
    elif block.mode == 'gaussian':
        att = att.softmax(-1)
    elif block.mode == 'dot_product':
        att = att / num_k
    y = torch.einsum('bij,bcj->bci', att, g).reshape(n, -1, *x.shape[2:])
    out = F.conv2d(y, block.conv_out.conv.weight)
    bn = block.conv_out.bn
    out = F.batch_norm(out, bn.running_mean, bn.running_var, bn.weight, bn.bias, eps=bn.eps)
    return att, x + out


@pytest.mark.parametrize('sub_sample', [False, True], ids=['full', 'sub_sample'])
@pytest.mark.parametrize('mode', NONLOCAL_MODES)
def test_mode_matches_direct_computation(mode, sub_sample):
    block = randomize(NonLocal2d(C, reduction=2, mode=mode, sub_sample=sub_sample,
                                 norm_cfg=dict(type='BN')))
    x = torch.randn(2, C, H, W)
    expected_att, expected_out = direct(block, x)
    with torch.no_grad():
        att, out = block.attention(x), block(x)
    num_keys = (H // 2) * (W // 2) if sub_sample else H * W
    assert att.shape == (2, H * W, num_keys)
    torch.testing.assert_close(att, expected_att, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(out, expected_out, rtol=1e-5, atol=1e-5)
    if mode in ('embedded_gaussian', 'gaussian'):
        torch.testing.assert_close(att.sum(-1), torch.ones(2, H * W))
    assert not torch.allclose(out, x)


def test_use_scale_off_is_plain_softmax():
    block = randomize(NonLocal2d(C, use_scale=False, norm_cfg=dict(type='BN')))
    x = torch.randn(1, C, H, W)
    expected_att, expected_out = direct(block, x)
    with torch.no_grad():
        torch.testing.assert_close(block.attention(x), expected_att)
        torch.testing.assert_close(block(x), expected_out, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('norm_cfg', [None, dict(type='BN')], ids=['no_norm', 'bn'])
@pytest.mark.parametrize('sub_sample', [False, True], ids=['full', 'sub_sample'])
@pytest.mark.parametrize('mode', NONLOCAL_MODES)
def test_identity_at_init(mode, sub_sample, norm_cfg):
    block = NonLocal2d(C, mode=mode, sub_sample=sub_sample, norm_cfg=norm_cfg)
    x = torch.randn(2, C, H, W)
    assert torch.equal(block(x), x)
    last = block.conv_out.bn if norm_cfg else block.conv_out.conv
    assert not last.weight.any() and not last.bias.any()
    first = block.g[0] if sub_sample else block.g
    assert 0 < first.conv.weight.std() < 0.05  # N(0, 0.01), not the default init


def test_sub_sample_quarters_the_key_positions():
    x = torch.randn(1, C, 16, 16)
    full = NonLocal2d(C).attention(x)
    sub = NonLocal2d(C, sub_sample=True).attention(x)
    assert full.shape == (1, 256, 256)
    assert sub.shape == (1, 256, 64)  # half per axis, a quarter of the positions


@pytest.mark.parametrize('sub_sample', [False, True])
def test_attention_bytes_matches_the_matrix(sub_sample):
    x = torch.randn(1, C, 7, 10)  # odd height: the pool floors
    att = NonLocal2d(C, sub_sample=sub_sample).attention(x)
    assert attention_bytes(7, 10, sub_sample, att.element_size()) == att.nbytes
    assert attention_bytes(64, 128) == 8192**2 * 4


def test_unknown_mode_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="'embedded_gaussian', 'dot_product', 'gaussian', "
                                          "'concatenation'"):
        NonLocal2d(C, mode='embedded')


def test_reduction_larger_than_channels_fails():
    with pytest.raises(ConfigError, match='reduction 8'):
        NonLocal2d(C, reduction=8)


@pytest.mark.parametrize('mode, sub_sample, expected', [
    ('embedded_gaussian', False, ['g.conv.weight', 'g.conv.bias', 'theta.conv.weight',
                                  'theta.conv.bias', 'phi.conv.weight', 'phi.conv.bias']),
    ('embedded_gaussian', True, ['g.0.conv.weight', 'g.0.conv.bias', 'theta.conv.weight',
                                 'theta.conv.bias', 'phi.0.conv.weight', 'phi.0.conv.bias']),
    ('gaussian', True, ['g.0.conv.weight', 'g.0.conv.bias']),
    ('concatenation', False, ['g.conv.weight', 'g.conv.bias', 'theta.conv.weight',
                              'theta.conv.bias', 'phi.conv.weight', 'phi.conv.bias',
                              'concat_project.conv.weight']),
])
def test_parameter_names_match_mmcv(mode, sub_sample, expected):
    block = NonLocal2d(C, mode=mode, sub_sample=sub_sample, norm_cfg=dict(type='BN'))
    conv_out = ['conv_out.conv.weight'] + [f'conv_out.bn.{k}' for k in (
        'weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked')]
    assert sorted(block.state_dict()) == sorted(expected + conv_out)


@pytest.mark.parametrize('mode', NONLOCAL_MODES)
def test_backward_and_bf16_autocast(mode):
    block = randomize(NonLocal2d(C, mode=mode, sub_sample=True, norm_cfg=dict(type='BN')))
    block.train()
    x = torch.randn(2, C, H, W, requires_grad=True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = block(x)
    out.float().square().mean().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert block.g[0].conv.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('sub_sample', [False, True], ids=['full', 'sub_sample'])
@pytest.mark.parametrize('mode', NONLOCAL_MODES)
def test_mmcv_nonlocal2d_weights_load_strictly_and_give_the_same_output(mode, sub_sample):
    from mmcv.cnn import NonLocal2d as MMCVNonLocal2d
    reference = randomize(MMCVNonLocal2d(C, mode=mode, sub_sample=sub_sample,
                                         norm_cfg=dict(type='BN')))
    block = NonLocal2d(C, mode=mode, sub_sample=sub_sample, norm_cfg=dict(type='BN')).eval()
    block.load_state_dict(reference.state_dict())  # strict: same names and shapes
    x = torch.randn(2, C, H, W)
    with torch.no_grad():
        torch.testing.assert_close(block(x), reference(x), rtol=1e-5, atol=1e-5)
