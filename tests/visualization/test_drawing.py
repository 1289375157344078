import numpy as np
import pytest
from PIL import Image

from segkit.utils.errors import ConfigError
from segkit.visualization import overlay, prediction_panel, save_label_png

PALETTE = [[0, 0, 0], [200, 100, 0], [0, 0, 250]]


def test_overlay_blends_colours_and_keeps_ignored_pixels():
    img = np.full((2, 3, 3), 100, np.uint8)
    label = np.array([[0, 1, 2], [1, 255, 2]], np.uint8)
    out = overlay(img, label, PALETTE, opacity=0.5)
    assert out[0, 1].tolist() == [150, 100, 50]
    assert out[1, 1].tolist() == [100, 100, 100]
    assert (overlay(img, label, PALETTE, opacity=0) == img).all()
    assert overlay(img, label, PALETTE, opacity=1)[0, 2].tolist() == [0, 0, 250]
    with pytest.raises(ConfigError, match='opacity 1.5'):
        overlay(img, label, PALETTE, opacity=1.5)


def test_prediction_panel_has_one_panel_per_map():
    img = np.zeros((4, 5, 3), np.uint8)
    pred = np.ones((4, 5), np.int64)
    assert prediction_panel(img, pred, PALETTE).shape == (4, 10, 3)
    panel = prediction_panel(img, pred, PALETTE, gt=np.full((4, 5), 2))
    assert panel.shape == (4, 15, 3)
    assert panel[0, 5].tolist() == PALETTE[2] and panel[0, 10].tolist() == PALETTE[1]


def test_label_png_holds_indices_and_palette(tmp_path):
    label = np.array([[0, 1], [2, 1]])
    save_label_png(label, PALETTE, str(tmp_path / 'l.png'))
    png = Image.open(tmp_path / 'l.png')
    assert png.mode == 'P'
    assert (np.asarray(png) == label).all()
    assert np.asarray(png.convert('RGB'))[1, 0].tolist() == PALETTE[2]
