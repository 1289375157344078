"""GSCNNDataPreProcessor: SegDataPreProcessor plus the Canny edges Gated-SCNN reads."""
from typing import Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from segkit.registry import MODELS
from segkit.utils.errors import ConfigError, DataError

from .data_preprocessor import SegDataPreProcessor


@MODELS.register_module()
class GSCNNDataPreProcessor(SegDataPreProcessor):
    """Batch images like :class:`SegDataPreProcessor`, plus their Canny edges.

    Before normalisation, ``cv2.Canny(img, *canny_thresholds)`` runs on each ``uint8``
    image (on the CPU; a colour image's strongest channel gradient counts), scaled to
    ``[0, 1]`` and padded with 0 like the image. ``inputs`` is
    ``dict(img=(N, 3, H, W), edge=(N, 1, H, W))``: the segmentor gives ``'img'`` to the
    backbone and the dict to the heads, and sliding windows crop both alike.

    Args:
        canny_thresholds: the low and high hysteresis thresholds of ``cv2.Canny``.
        **kwargs: the arguments of :class:`SegDataPreProcessor`.
    """

    input_names = ('img', 'edge')

    def __init__(self, canny_thresholds: Sequence[int] = (10, 100), **kwargs):
        super().__init__(**kwargs)
        if len(canny_thresholds) != 2 or canny_thresholds[0] > canny_thresholds[1]:
            raise ConfigError(f'GSCNNDataPreProcessor canny_thresholds {canny_thresholds}: '
                              'expected (low, high) with low <= high')
        self.canny_thresholds = tuple(canny_thresholds)

    def _canny(self, img: torch.Tensor) -> torch.Tensor:
        """``(1, H, W)`` float Canny edges in [0, 1] of a ``(3, H, W)`` uint8 image."""
        if img.dtype != torch.uint8:
            raise DataError(f'GSCNNDataPreProcessor needs uint8 images to compute Canny edges, '
                            f'got {img.dtype}')
        array = np.ascontiguousarray(img.cpu().numpy().transpose(1, 2, 0))
        edges = cv2.Canny(array, *self.canny_thresholds)
        return torch.from_numpy(edges)[None].float() / 255

    def forward(self, data: dict, training: bool = False) -> dict:
        """Return ``dict(inputs=dict(img=(N, 3, H, W), edge=(N, 1, H, W)), data_samples)``."""
        edges = [self._canny(img) for img in data['inputs']]
        out = super().forward(data, training)
        img = out['inputs']
        height, width = img.shape[2:]
        edge = torch.stack([F.pad(e, (0, width - e.shape[2], 0, height - e.shape[1]))
                            for e in edges]).to(img.device)
        return dict(inputs=dict(img=img, edge=edge), data_samples=out['data_samples'])
