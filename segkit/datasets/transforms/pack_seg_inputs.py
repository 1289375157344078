"""PackSegInputs: turn the results dict into a model input and a SegDataSample."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import PixelData

from segkit.registry import TRANSFORMS
from segkit.structures import SegDataSample

META_KEYS = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor',
             'flip', 'flip_direction', 'reduce_zero_label')


@TRANSFORMS.register_module()
class PackSegInputs(BaseTransform):
    """Pack ``img`` as a ``(3, H, W)`` uint8 tensor and ``gt_seg_map`` as ``gt_sem_seg``
    (``(1, H, W)`` uint8; the head converts it to long).

    Reads ``img``, ``gt_seg_map`` and ``gt_edge_map`` (optional; packed as ``gt_edge_map``)
    and ``meta_keys``; returns
    ``dict(inputs=tensor, data_samples=SegDataSample)``.

    Args:
        meta_keys: keys copied into the sample's metainfo when present.
    """

    def __init__(self, meta_keys: Sequence[str] = META_KEYS):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        sample = SegDataSample()
        if 'gt_seg_map' in results:
            gt = np.ascontiguousarray(results['gt_seg_map'])
            sample.gt_sem_seg = PixelData(data=torch.from_numpy(gt)[None])
        if 'gt_edge_map' in results:  # from GenerateEdge
            edge = np.ascontiguousarray(results['gt_edge_map'])
            sample.gt_edge_map = PixelData(data=torch.from_numpy(edge)[None])
        sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
