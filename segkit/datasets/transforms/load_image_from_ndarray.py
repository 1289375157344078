"""LoadImageFromNDArray: take an image given as an array (inference on frames in memory)."""
import numpy as np
from mmcv.transforms import BaseTransform

from segkit.registry import TRANSFORMS
from segkit.utils.errors import DataError


@TRANSFORMS.register_module()
class LoadImageFromNDArray(BaseTransform):
    """Use ``results['img']``, an ``(H, W, 3)`` BGR uint8 array, as the loaded image.

    The in-memory counterpart of :class:`LoadImageFromFile` (same channel order as
    ``cv2.imread``). Reads ``img``; writes ``img``, ``img_shape``, ``ori_shape`` and
    ``img_path`` (None unless given).

    Args:
        to_float32: convert the image to float32.
    """

    def __init__(self, to_float32: bool = False):
        self.to_float32 = to_float32

    def transform(self, results: dict) -> dict:
        img = results['img']
        if not isinstance(img, np.ndarray) or img.ndim != 3 or img.shape[2] != 3 \
                or img.dtype != np.uint8:
            got = (f'{img.dtype} array of shape {img.shape}' if isinstance(img, np.ndarray)
                   else type(img).__name__)
            raise DataError(f'image array must be (H, W, 3) BGR uint8, got {got}')
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        results.setdefault('img_path', None)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(to_float32={self.to_float32})'
