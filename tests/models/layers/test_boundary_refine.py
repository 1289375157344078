import torch

from segkit.models.layers import BoundaryRefine
from segkit.registry import MODELS


def test_shape_and_residual():
    block = BoundaryRefine(channels=3)
    x = torch.randn(2, 3, 9, 7)
    out = block(x)
    assert out.shape == x.shape
    assert not torch.allclose(out, x)
    with torch.no_grad():
        block.conv2.weight.zero_()
        block.conv2.bias.zero_()
    assert torch.equal(block(x), x), 'with a zero residual branch the block is the identity'


def test_structure_and_registry():
    block = MODELS.build(dict(type='BoundaryRefine', channels=4))
    assert block.conv1.kernel_size == (3, 3) and block.conv1.padding == (1, 1)
    assert block.conv2.in_channels == block.conv2.out_channels == 4
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in block.modules())
