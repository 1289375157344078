"""RandomCrop: crop image and label, limiting how much one class may fill the crop."""
from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from segkit.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomCrop(BaseTransform):
    """Randomly crop to ``crop_size``; a smaller image is kept whole (padded later).

    With ``cat_max_ratio < 1`` up to 10 crops are tried until no single class covers more
    than that share of the labelled (non-ignored) pixels, as MMSegmentation does.

    Reads and writes ``img``, ``gt_seg_map``, ``img_shape``.

    Args:
        crop_size: ``(h, w)`` of the crop.
        cat_max_ratio: the largest share one class may take of the crop.
        ignore_index: label value not counted by ``cat_max_ratio``.
    """

    def __init__(self, crop_size: Sequence[int], cat_max_ratio: float = 1.0,
                 ignore_index: int = 255):
        if len(crop_size) != 2 or min(crop_size) <= 0:
            raise ValueError(f'RandomCrop crop_size must be (h, w) > 0, got {crop_size}')
        self.crop_size = tuple(crop_size)
        self.cat_max_ratio = cat_max_ratio
        self.ignore_index = ignore_index

    def _random_box(self, shape) -> tuple:
        margin_h = max(shape[0] - self.crop_size[0], 0)
        margin_w = max(shape[1] - self.crop_size[1], 0)
        y1 = np.random.randint(0, margin_h + 1)
        x1 = np.random.randint(0, margin_w + 1)
        return y1, y1 + min(self.crop_size[0], shape[0]), x1, x1 + min(self.crop_size[1], shape[1])

    def transform(self, results: dict) -> dict:
        img = results['img']
        box = self._random_box(img.shape)
        seg = results.get('gt_seg_map')
        if self.cat_max_ratio < 1.0 and seg is not None:
            for _ in range(10):
                y1, y2, x1, x2 = box
                counts = np.bincount(seg[y1:y2, x1:x2].ravel(), minlength=256)
                counts[self.ignore_index] = 0
                if counts.sum() > 0 and counts.max() / counts.sum() < self.cat_max_ratio:
                    break
                box = self._random_box(img.shape)
        y1, y2, x1, x2 = box
        results['img'] = img[y1:y2, x1:x2]
        results['img_shape'] = results['img'].shape[:2]
        for key in results.get('seg_fields', []):
            results[key] = results[key][y1:y2, x1:x2]
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(crop_size={self.crop_size}, '
                f'cat_max_ratio={self.cat_max_ratio})')
