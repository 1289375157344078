"""LoadImageFromNDArray: take an image given as an array (inference on frames in memory)."""
import numpy as np
from mmcv.transforms import BaseTransform

from segkit.registry import TRANSFORMS
from segkit.utils.errors import ConfigError, DataError

# The color types of arrays: those of LoadImageFromFile that keep an array as it is given.
COLOR_TYPES = ('color', 'unchanged')


@TRANSFORMS.register_module()
class LoadImageFromNDArray(BaseTransform):
    """Use ``results['img']``, an image array, as the loaded image.

    The in-memory counterpart of :class:`LoadImageFromFile`: with ``color_type='color'``
    an ``(H, W, 3)`` BGR uint8 array (the channel order of ``cv2.imread``); with
    ``'unchanged'`` (a config reading 16-bit or multispectral files) an ``(H, W)`` or
    ``(H, W, C)`` array of any numeric depth, as that config's files load. Reads ``img``;
    writes ``img``, ``img_shape``, ``ori_shape`` and ``img_path`` (None unless given).

    Args:
        to_float32: convert the image to float32.
        color_type: 'color' or 'unchanged', as the config's ``LoadImageFromFile``.
    """

    def __init__(self, to_float32: bool = False, color_type: str = 'color'):
        if color_type not in COLOR_TYPES:
            raise ConfigError(f'LoadImageFromNDArray color_type {color_type!r}: expected one '
                              f'of {COLOR_TYPES}')
        self.to_float32 = to_float32
        self.color_type = color_type

    def transform(self, results: dict) -> dict:
        img = results['img']
        if self.color_type == 'color':
            fits = isinstance(img, np.ndarray) and img.ndim == 3 and img.shape[2] == 3 \
                and img.dtype == np.uint8
            expected = '(H, W, 3) BGR uint8'
        else:
            fits = isinstance(img, np.ndarray) and img.ndim in (2, 3) and (
                np.issubdtype(img.dtype, np.integer) or np.issubdtype(img.dtype, np.floating))
            expected = "(H, W) or (H, W, C) of numbers (color_type='unchanged')"
        if not fits:
            got = (f'{img.dtype} array of shape {img.shape}' if isinstance(img, np.ndarray)
                   else type(img).__name__)
            raise DataError(f'image array must be {expected}, got {got}')
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        results.setdefault('img_path', None)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(to_float32={self.to_float32}, '
                f'color_type={self.color_type!r})')
