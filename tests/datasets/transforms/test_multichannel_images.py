"""16-bit and N-channel images: loading as stored, photometric distortion refusing them,
the data preprocessor's per-channel normalisation, and their display."""
import cv2
import numpy as np
import pytest
import tifffile
import torch

from segkit.datasets.transforms import LoadImageFromFile, PhotoMetricDistortion
from segkit.models.data_preprocessor import SegDataPreProcessor
from segkit.structures import SegDataSample
from segkit.utils.errors import ConfigError, DataError
from segkit.visualization import display_rgb, read_display_image


def bands(size=(6, 8), channels=4) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 65535, (*size, channels)).astype(np.uint16)


def test_tifffile_keeps_depth_and_bands_interleaved_or_planar(tmp_path):
    img = bands()
    tifffile.imwrite(tmp_path / 'a.tif', img)
    tifffile.imwrite(tmp_path / 'planar.tif', np.moveaxis(img, -1, 0), photometric='minisblack',
                     planarconfig='separate')
    load = LoadImageFromFile(imdecode_backend='tifffile', color_type='unchanged')
    for name in ('a.tif', 'planar.tif'):
        out = load(dict(img_path=str(tmp_path / name)))
        np.testing.assert_array_equal(out['img'], img)
        assert out['img_shape'] == out['ori_shape'] == (6, 8)


def test_cv2_unchanged_keeps_a_16_bit_png(tmp_path):
    img = bands(channels=3)
    cv2.imwrite(str(tmp_path / 'a.png'), img)
    out = LoadImageFromFile(color_type='unchanged')(dict(img_path=str(tmp_path / 'a.png')))
    np.testing.assert_array_equal(out['img'], img)
    default = LoadImageFromFile()(dict(img_path=str(tmp_path / 'a.png')))
    assert default['img'].dtype == np.uint8  # the default is 8-bit BGR, as before


def test_tiff_that_colour_mode_cannot_hold_is_named(tmp_path):
    path = str(tmp_path / 'a.tif')
    tifffile.imwrite(path, bands())
    with pytest.raises(DataError) as e:
        LoadImageFromFile(imdecode_backend='tifffile')(dict(img_path=path))
    assert str(e.value) == (f"image {path} is uint16 with 4 channel(s): read it with "
                            "color_type='unchanged'")
    with pytest.raises(ConfigError) as e:
        LoadImageFromFile(imdecode_backend='gdal')
    assert str(e.value) == ("LoadImageFromFile imdecode_backend 'gdal': expected one of "
                            "('cv2', 'tifffile')")


def test_photometric_distortion_refuses_what_it_would_corrupt():
    with pytest.raises(ConfigError) as e:
        PhotoMetricDistortion()(dict(img=bands(), img_path='x.tif'))
    assert str(e.value) == ('PhotoMetricDistortion needs 3-channel 8-bit BGR images, but x.tif '
                            'is uint16 with 4 channel(s): remove it from the train pipeline')


def test_preprocessor_normalises_every_channel_and_checks_the_count():
    img = torch.from_numpy(bands().transpose(2, 0, 1).copy())
    mean, std = [100.0, 200.0, 300.0, 400.0], [2.0, 3.0, 4.0, 5.0]
    pre = SegDataPreProcessor(mean=mean, std=std, bgr_to_rgb=True)  # swaps 3-channel only
    out = pre(dict(inputs=[img], data_samples=[SegDataSample()]))['inputs'][0]
    expected = (img.float() - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]
    torch.testing.assert_close(out, expected)
    sample = SegDataSample(metainfo=dict(img_path='a.tif'))
    with pytest.raises(DataError) as e:
        SegDataPreProcessor()(dict(inputs=[img], data_samples=[sample]))
    assert str(e.value) == ('image a.tif has 4 channel(s) but the data preprocessor has 3 '
                            'mean/std values; set model.data_preprocessor mean and std per '
                            'channel (and the backbone in_channels)')
    with pytest.raises(ConfigError) as e:
        SegDataPreProcessor(mean=mean, std=std[:3])
    assert str(e.value) == ('SegDataPreProcessor has 4 mean and 3 std values; give one of '
                            'each per image channel')


def test_display_shows_three_chosen_channels_stretched(tmp_path):
    img = np.zeros((4, 4, 4), np.uint16)
    img[..., 0], img[..., 3] = 1000, np.arange(16).reshape(4, 4) * 4000
    tifffile.imwrite(tmp_path / 'a.tif', img)
    shown = read_display_image(str(tmp_path / 'a.tif'), channels=(3, 0, 0))
    assert shown.shape == (4, 4, 3) and shown.dtype == np.uint8
    assert shown[0, 0, 0] == 0 and shown[3, 3, 0] == 255 and shown[..., 1].max() == 0
    assert read_display_image(str(tmp_path / 'a.tif')).shape == (4, 4, 3)
    bgr = np.array([[[10, 20, 30]]], np.uint8)
    np.testing.assert_array_equal(display_rgb(bgr), [[[30, 20, 10]]])
    with pytest.raises(ConfigError) as e:
        display_rgb(img, channels=(0, 1, 5))
    assert str(e.value) == ('display channels (0, 1, 5): expected three channel indices of a '
                            '4-channel image')
