"""GenerateEdge: the boundary band of a label map, Gated-SCNN's edge ground truth."""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from segkit.registry import TRANSFORMS
from segkit.utils.errors import ConfigError


def label_to_edge(label: np.ndarray, radius: float = 2, ignore_index: int = 255) -> np.ndarray:
    """Edge map of a ``(H, W)`` class-index map: 1 on the boundary band, 0 off it, ignore kept.

    For every class c present (class 0 included): distance transform of the class mask
    (for c's pixels, the distance to the nearest other pixel) and of its complement (for
    other pixels, the distance to the nearest c pixel); a pixel is an edge where
    ``0 < distance <= radius``. The union over classes is the set of labelled pixels that
    have a differently labelled pixel (ignore included) within ``radius``, which is what
    one distance transform per class computes. Ignored pixels stay ``ignore_index``; the
    image border is not a boundary (nothing lies outside the image).
    """
    valid = label != ignore_index
    edge = np.zeros(label.shape, dtype=bool)
    for cls in np.unique(label[valid]):
        mask = label == cls
        dist = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        edge |= mask & (dist <= radius)
    out = edge.astype(np.uint8)
    out[~valid] = ignore_index
    return out


@TRANSFORMS.register_module()
class GenerateEdge(BaseTransform):
    """Make the edge ground truth from the label, after every geometric transform.

    Put it after crop and flip, before ``PackSegInputs``, which packs the result as the
    sample's ``gt_edge_map``. See :func:`label_to_edge`.

    Reads ``gt_seg_map``; writes ``gt_edge_map`` (``(H, W)`` uint8: 1 edge, 0 not,
    ``ignore_index`` ignored) and adds it to ``seg_fields``.

    Args:
        radius: half-width in pixels of the band on each side of a boundary.
        ignore_index: label value of ignored pixels.
    """

    def __init__(self, radius: float = 2, ignore_index: int = 255):
        if radius < 1:
            raise ConfigError(f'GenerateEdge radius {radius}: expected >= 1 pixel')
        self.radius = radius
        self.ignore_index = ignore_index

    def transform(self, results: dict) -> dict:
        if 'gt_seg_map' not in results:
            raise ConfigError('GenerateEdge found no gt_seg_map: put it after LoadAnnotations '
                              'in the pipeline')
        results['gt_edge_map'] = label_to_edge(results['gt_seg_map'], self.radius,
                                               self.ignore_index)
        results['seg_fields'] = results.get('seg_fields', []) + ['gt_edge_map']
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(radius={self.radius}, ignore_index={self.ignore_index})'
