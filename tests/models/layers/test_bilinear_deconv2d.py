"""BilinearDeconv2d starts as exact bilinear interpolation, last row and column included."""
import pytest
import torch
import torch.nn.functional as F

from segkit.models.layers import BilinearDeconv2d


def reference(x: torch.Tensor, size) -> torch.Tensor:
    """Bilinear interpolation placing coarse pixel i on fine pixel 2i, the last coarse
    row/column repeated past the border."""
    h, w = x.shape[-2:]
    padded = F.pad(x, (0, 1, 0, 1), mode='replicate')
    fine = F.interpolate(padded, size=(2 * h + 1, 2 * w + 1), mode='bilinear', align_corners=True)
    return fine[..., :size[0], :size[1]]


@pytest.mark.parametrize('size', [(10, 14), (9, 13), (10, 13), (9, 14)])
def test_starts_as_bilinear_interpolation(size):
    layer = BilinearDeconv2d(3)
    x = torch.randn(2, 3, 5, 7)
    out = layer(x, output_size=size)
    assert out.shape == (2, 3, *size)
    torch.testing.assert_close(out, reference(x, size))
    torch.testing.assert_close(out[..., ::2, ::2], x[..., :(size[0] + 1) // 2, :(size[1] + 1) // 2])
    if size[0] % 2 and size[1] % 2:  # odd sizes: exactly align_corners=True bilinear
        torch.testing.assert_close(
            out, F.interpolate(x, size=size, mode='bilinear', align_corners=True))


@pytest.mark.parametrize('coarse, fine', [(16, 512), (17, 513), (16, 511)])
def test_ones_stay_ones_through_five_upsamplings(coarse, fine):
    layer = BilinearDeconv2d(2)
    sizes = [fine]
    while len(sizes) < 6:
        sizes.insert(0, (sizes[0] + 1) // 2)
    assert sizes[0] == coarse
    x = torch.ones(1, 2, coarse, coarse)
    for size in sizes[1:]:
        x = layer(x, output_size=(size, size))
    assert x.shape[-1] == fine
    torch.testing.assert_close(x, torch.ones_like(x), rtol=0, atol=1e-6)


def test_learnable_and_bad_size():
    layer = BilinearDeconv2d(2)
    layer(torch.randn(1, 2, 4, 4), output_size=(8, 7)).sum().backward()
    assert layer.weight.grad.abs().sum() > 0 and layer.bias.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='4x4 gives 7 or 8 x 7 or 8, not 9x8'):
        layer(torch.randn(1, 2, 4, 4), output_size=(9, 8))
