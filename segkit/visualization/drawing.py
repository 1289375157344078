"""Draw class maps: overlays, image | ground truth | prediction panels, palette PNGs."""
from typing import Optional, Sequence

import numpy as np
from PIL import Image

from segkit.utils.errors import ConfigError

from .palette import colorize


def overlay(img: np.ndarray, label: np.ndarray, palette: Sequence[Sequence[int]],
            opacity: float = 0.5, ignore_index: int = 255) -> np.ndarray:
    """Blend the colours of an ``(H, W)`` class map over an ``(H, W, 3)`` RGB uint8 image.

    ``opacity`` is the weight of the class colours (0 shows the image, 1 the colours);
    ignored pixels show the image.
    """
    if not 0 <= opacity <= 1:
        raise ConfigError(f'opacity {opacity}: expected a value in [0, 1]')
    if img.shape[:2] != label.shape:
        raise ValueError(f'image {img.shape[:2]} and class map {label.shape} differ in size')
    colours = colorize(label, palette, ignore_index=ignore_index).astype(np.float32)
    blend = (1 - opacity) * img.astype(np.float32) + opacity * colours
    blend[label == ignore_index] = img[label == ignore_index]
    return np.round(blend).astype(np.uint8)


def prediction_panel(img: np.ndarray, pred: np.ndarray, palette: Sequence[Sequence[int]],
                     gt: Optional[np.ndarray] = None) -> np.ndarray:
    """``image | ground truth | prediction`` side by side (RGB); without ``gt``, two panels."""
    panels = [img] + ([colorize(gt, palette)] if gt is not None else []) + \
        [colorize(pred, palette)]
    return np.concatenate(panels, axis=1)


def save_label_png(label: np.ndarray, palette: Sequence[Sequence[int]], path: str) -> None:
    """Save a class map as a palette PNG: pixel values are class indices, shown in colour."""
    flat = np.zeros((256, 3), dtype=np.uint8)
    flat[:len(palette)] = np.asarray(palette, dtype=np.uint8)
    png = Image.fromarray(label.astype(np.uint8))
    png.putpalette(flat.ravel().tolist())
    png.save(path)
