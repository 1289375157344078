"""GSCNNDataPreProcessor: SegDataPreProcessor plus the Canny image gradient Gated-SCNN reads."""
from typing import Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData

from segkit.registry import MODELS
from segkit.utils.errors import ConfigError, DataError

from .data_preprocessor import SegDataPreProcessor


@MODELS.register_module()
class GSCNNDataPreProcessor(SegDataPreProcessor):
    """Batch images like :class:`SegDataPreProcessor` and append their Canny edges.

    Before normalisation, ``cv2.Canny(img, *canny_thresholds)`` runs on each ``uint8``
    image (on the CPU; a colour image's strongest channel gradient counts), scaled to
    ``[0, 1]``. It is padded with 0 like the image and appended as a fourth channel:
    ``inputs`` is ``(N, 4, H, W)``; :class:`GSCNNEncoderDecoder` splits it again, so
    sliding-window inference crops image and gradient together. In training each
    sample's ``gt_edge_map`` (from ``GenerateEdge``) is padded with ``seg_pad_val`` like
    ``gt_sem_seg``.

    Args:
        canny_thresholds: the low and high hysteresis thresholds of ``cv2.Canny``.
        **kwargs: the arguments of :class:`SegDataPreProcessor`.
    """

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
        """Return ``dict(inputs=(N, 4, H, W), data_samples=list)``: image, then Canny."""
        gradients = [self._canny(img) for img in data['inputs']]
        out = super().forward(data, training)
        inputs = out['inputs']
        height, width = inputs.shape[2:]
        gradients = torch.stack([F.pad(g, (0, width - g.shape[2], 0, height - g.shape[1]))
                                 for g in gradients]).to(inputs.device)
        for sample in out['data_samples'] or ():
            if training and 'gt_edge_map' in sample:
                edge = sample.gt_edge_map.data
                sample.gt_edge_map = PixelData(data=F.pad(
                    edge, (0, width - edge.shape[2], 0, height - edge.shape[1]),
                    value=self.seg_pad_val))
        return dict(inputs=torch.cat([inputs, gradients], dim=1), data_samples=out['data_samples'])
