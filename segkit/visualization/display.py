"""Show any image (16-bit, N channels) as RGB uint8: three of its channels, contrast-stretched."""
import os.path as osp
from typing import Optional, Sequence

import numpy as np

from segkit.utils.errors import ConfigError

TIFF_SUFFIXES = ('.tif', '.tiff')


def display_rgb(img: np.ndarray, channels: Optional[Sequence[int]] = None,
                bgr: bool = True) -> np.ndarray:
    """An ``(H, W, 3)`` RGB uint8 view of an ``(H, W[, C])`` image of any depth.

    Channels count in the file's order (``bgr``: the array came from OpenCV, whose first
    three channels are B, G, R); ``channels`` picks the three shown as red, green and
    blue (default the first three; a one-channel image is shown in gray). 8-bit images
    are shown as they are; other depths are stretched per channel from the 1st to the
    99th percentile.
    """
    img = img[..., None] if img.ndim == 2 else img
    if bgr and img.shape[2] >= 3:
        img = np.concatenate([img[..., 2::-1], img[..., 3:]], axis=2)
    if channels is None:
        channels = (0, 1, 2) if img.shape[2] >= 3 else (0, 0, 0)
    if len(channels) != 3 or not all(0 <= c < img.shape[2] for c in channels):
        raise ConfigError(f'display channels {tuple(channels)}: expected three channel '
                          f'indices of a {img.shape[2]}-channel image')
    img = img[..., list(channels)]
    if img.dtype == np.uint8:
        return np.ascontiguousarray(img)
    img = img.astype(np.float32)
    low, high = np.percentile(img, (1, 99), axis=(0, 1))
    scaled = (img - low) / np.maximum(high - low, 1e-6) * 255
    return np.clip(np.round(scaled), 0, 255).astype(np.uint8)


def read_display_image(path: str, channels: Optional[Sequence[int]] = None) -> np.ndarray:
    """Read ``path`` in full (TIFFs with tifffile, others with OpenCV, depth and channels
    kept) and return :func:`display_rgb` of it."""
    from segkit.datasets.transforms.load_image_from_file import decode_image, read_bytes
    tiff = osp.splitext(path)[1].lower() in TIFF_SUFFIXES
    img = decode_image(read_bytes(path, 'image'), path, 'unchanged',
                       'tifffile' if tiff else 'cv2')
    return display_rgb(img, channels=channels, bgr=not tiff)
