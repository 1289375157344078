"""Colour class maps with a dataset palette."""
from typing import List, Sequence

import numpy as np


def voc_palette(num: int = 256) -> List[List[int]]:
    """The first ``num`` colours of the PASCAL VOC colour map (distinct, class 0 black)."""
    palette = []
    for i in range(num):
        r = g = b = 0
        for shift in range(7, -1, -1):
            r |= ((i >> 0) & 1) << shift
            g |= ((i >> 1) & 1) << shift
            b |= ((i >> 2) & 1) << shift
            i >>= 3
        palette.append([r, g, b])
    return palette


def colorize(label: np.ndarray, palette: Sequence[Sequence[int]],
             ignore_index: int = 255) -> np.ndarray:
    """Map an ``(H, W)`` class map to an ``(H, W, 3)`` RGB image; ignored pixels are white."""
    lut = np.full((256, 3), 255, dtype=np.uint8)
    lut[:len(palette)] = np.asarray(palette, dtype=np.uint8)
    lut[ignore_index] = 255
    return lut[label.astype(np.uint8)]
