import numpy as np
import pytest

from segkit.datasets.transforms import LoadImageFromNDArray
from segkit.utils.errors import DataError


def test_sets_shapes_and_keeps_pixels(rng):
    img = rng.integers(0, 255, (5, 7, 3), dtype=np.uint8)
    results = LoadImageFromNDArray()(dict(img=img))
    assert results['img'] is img
    assert results['img_shape'] == results['ori_shape'] == (5, 7)
    assert results['img_path'] is None
    assert LoadImageFromNDArray(to_float32=True)(dict(img=img))['img'].dtype == np.float32


@pytest.mark.parametrize('img, got', [(np.zeros((5, 7), np.uint8), 'shape (5, 7)'),
                                      (np.zeros((5, 7, 4), np.uint8), 'shape (5, 7, 4)'),
                                      (np.zeros((5, 7, 3), np.float32), 'float32'),
                                      ('img.png', 'str')])
def test_rejects_other_arrays(img, got):
    with pytest.raises(DataError, match='BGR uint8') as info:
        LoadImageFromNDArray()(dict(img=img))
    assert got in str(info.value)


@pytest.mark.parametrize('img', [np.zeros((5, 7), np.uint16), np.zeros((5, 7, 4), np.uint16),
                                 np.zeros((5, 7, 3), np.float32)])
def test_unchanged_takes_any_depth_and_channels(img):
    results = LoadImageFromNDArray(color_type='unchanged')(dict(img=img))
    assert results['img'] is img and results['img_shape'] == (5, 7)


def test_unchanged_rejects_what_is_no_image():
    with pytest.raises(DataError) as info:
        LoadImageFromNDArray(color_type='unchanged')(dict(img=np.zeros((2, 5, 7, 3))))
    assert str(info.value) == ("image array must be (H, W) or (H, W, C) of numbers "
                               "(color_type='unchanged'), got float64 array of shape (2, 5, 7, 3)")
