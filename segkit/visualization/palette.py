"""Colour class maps with a dataset palette."""
from typing import Sequence

import numpy as np


def colorize(label: np.ndarray, palette: Sequence[Sequence[int]],
             ignore_index: int = 255) -> np.ndarray:
    """Map an ``(H, W)`` class map to an ``(H, W, 3)`` RGB image; ignored pixels are white."""
    lut = np.full((256, 3), 255, dtype=np.uint8)
    lut[:len(palette)] = np.asarray(palette, dtype=np.uint8)
    lut[ignore_index] = 255
    return lut[label.astype(np.uint8)]
