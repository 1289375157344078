import pytest
import torch

from segkit.models.layers import GlobalConvBlock
from segkit.registry import MODELS
from segkit.utils.errors import ConfigError


def test_shapes_and_paddings():
    block = GlobalConvBlock(in_channels=6, out_channels=3, kernel_size=7)
    assert block(torch.randn(2, 6, 11, 8)).shape == (2, 3, 11, 8)
    assert block.conv_l1.kernel_size == (7, 1) and block.conv_l2.kernel_size == (1, 7)
    assert block.conv_r1.kernel_size == (1, 7) and block.conv_r2.kernel_size == (7, 1)
    assert block.conv_l1.padding == (3, 0) and block.conv_r1.padding == (0, 3)
    assert all(isinstance(p, int) for p in block.conv_l1.padding + block.conv_l2.padding)


@pytest.mark.parametrize('kernel_size', [3, 7, 15])
def test_receptive_field_is_the_k_by_k_window(kernel_size):
    torch.manual_seed(0)
    block = GlobalConvBlock(in_channels=2, out_channels=2, kernel_size=kernel_size).double()
    size, center = 41, 20
    impulse = torch.zeros(1, 2, size, size, dtype=torch.float64)
    impulse[0, 0, center, center] = 1
    with torch.no_grad():
        response = (block(impulse) - block(torch.zeros_like(impulse))).abs().sum(dim=(0, 1))
    reach = kernel_size // 2
    rows, cols = torch.nonzero(response > 1e-12, as_tuple=True)
    assert (rows - center).abs().max() == reach and (cols - center).abs().max() == reach
    window = response[center - reach:center + reach + 1, center - reach:center + reach + 1]
    assert (window > 1e-12).all(), 'every pixel of the k x k window should be seen'


@pytest.mark.parametrize('kernel_size', [4, 0, 15.0])
def test_even_or_non_int_kernel_is_refused(kernel_size):
    with pytest.raises(ConfigError, match='odd positive int'):
        GlobalConvBlock(in_channels=4, out_channels=2, kernel_size=kernel_size)


def test_registered():
    block = MODELS.build(dict(type='GlobalConvBlock', in_channels=4, out_channels=2))
    assert block.conv_l1.kernel_size == (15, 1)
