import torch
from torch import nn

from segkit.models.layers import GatedSpatialConv


def test_gate_formula_by_hand():
    torch.manual_seed(0)
    layer = GatedSpatialConv(2, 3, norm_cfg=dict(type='BN')).eval()
    norm_in, conv1, _, conv2, norm_out, _ = layer.gate_conv
    # Non-trivial eval-mode norms: y = (x - mean) / sqrt(var + eps) * w + b.
    norm_in.running_mean.copy_(torch.tensor([0.5, -1.0, 2.0]))
    norm_in.running_var.copy_(torch.tensor([4.0, 1.0, 0.25]))
    norm_out.running_mean.fill_(0.3)
    norm_out.running_var.fill_(2.0)
    norm_out.weight.data.fill_(1.5)
    norm_out.bias.data.fill_(-0.2)
    s = torch.randn(1, 2, 2, 2)
    g = torch.randn(1, 1, 2, 2)

    # The formula written out for each pixel, with plain matrix products.
    w1, b1 = conv1.weight[:, :, 0, 0], conv1.bias
    w2, b2 = conv2.weight[:, :, 0, 0], conv2.bias
    out_w = layer.weight[:, :, 0, 0]
    eps = norm_in.eps
    expected = torch.zeros(1, 3, 2, 2)
    expected_gate = torch.zeros(1, 1, 2, 2)
    for i in range(2):
        for j in range(2):
            x = torch.cat([s[0, :, i, j], g[0, :, i, j]])
            x = (x - norm_in.running_mean) / torch.sqrt(norm_in.running_var + eps) \
                * norm_in.weight + norm_in.bias
            h = torch.relu(w1 @ x + b1)
            z = w2 @ h + b2
            z = (z - 0.3) / torch.sqrt(torch.tensor(2.0 + eps)) * 1.5 - 0.2
            a = torch.sigmoid(z)
            expected_gate[0, 0, i, j] = a
            expected[0, :, i, j] = out_w @ (s[0, :, i, j] * (a + 1))
    with torch.no_grad():
        assert torch.allclose(layer.gate(s, g), expected_gate, atol=1e-6)
        assert torch.allclose(layer(s, g), expected, atol=1e-6)


def test_uses_its_own_weight_and_learns():
    layer = GatedSpatialConv(4, 2)
    assert isinstance(layer, nn.Conv2d) and layer.weight.shape == (2, 4, 1, 1)
    assert layer.bias is None
    with torch.no_grad():
        layer.weight.zero_()
    assert torch.equal(layer(torch.randn(2, 4, 3, 3), torch.randn(2, 1, 3, 3)),
                       torch.zeros(2, 2, 3, 3))
    layer = GatedSpatialConv(4, 2)
    layer(torch.randn(2, 4, 3, 3), torch.randn(2, 1, 3, 3)).square().sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in layer.parameters())
