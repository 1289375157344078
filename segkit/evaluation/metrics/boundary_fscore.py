"""BoundaryFScore: per-class boundary F-score within pixel tolerances (Gated-SCNN's metric)."""
from typing import Optional, Sequence

import cv2
import numpy as np
import torch
import torch.distributed as dist
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log

from segkit.registry import METRICS
from segkit.utils.errors import ConfigError

from ..metrics_files import per_class_table

# cv2's float32 distances may sit an ulp above an integer distance such as 5.
_DISTANCE_SLACK = 1e-3


def class_boundary(mask: np.ndarray) -> np.ndarray:
    """Pixels of ``mask`` with a 4-neighbour outside it; the image border is no boundary."""
    outside = ~mask
    near = np.zeros_like(mask)
    near[1:] |= outside[:-1]
    near[:-1] |= outside[1:]
    near[:, 1:] |= outside[:, :-1]
    near[:, :-1] |= outside[:, 1:]
    return mask & near


def _matched(points: np.ndarray, targets: np.ndarray, tolerances: Sequence[float]) -> np.ndarray:
    """How many ``points`` lie within each tolerance of a ``targets`` pixel."""
    dist = cv2.distanceTransform((~targets).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    dist = dist[points]
    return np.array([(dist <= t + _DISTANCE_SLACK).sum() for t in tolerances])


def boundary_f_scores(pred: np.ndarray, gt: np.ndarray, num_classes: int,
                      tolerances: Sequence[float], ignore_index: int = 255) -> np.ndarray:
    """Boundary F-scores ``(len(tolerances), num_classes)`` of one ``(H, W)`` prediction.

    Per class, the boundaries of the predicted and the true class masks (see
    :func:`class_boundary`). Ignored pixels belong to neither mask, as in the paper's
    evaluation code: where a class meets an ignored region (PASCAL VOC outlines every
    object with one) both masks have a boundary, and a prediction's value on ignored pixels
    does not matter. A predicted boundary pixel
    is correct when a true one lies within the tolerance (a disk of that radius, in
    pixels), and a true one is found when a predicted one lies within it:
    precision P and recall R, F = 2PR / (P + R) (0 when P + R = 0).
    Empty boundaries: none predicted and none true -> F = 1; none predicted -> P = 1,
    R = 0 (F = 0); none true but some predicted -> P = 0, R = 1 (F = 0), as in the
    DAVIS/Gated-SCNN evaluation code.
    """
    valid = gt != ignore_index
    scores = np.ones((len(tolerances), num_classes))
    present = np.union1d(np.unique(gt[valid]), np.unique(pred[valid]))
    for cls in present[present < num_classes]:
        pred_edge = class_boundary((pred == cls) & valid)
        gt_edge = class_boundary((gt == cls) & valid)
        num_pred, num_gt = pred_edge.sum(), gt_edge.sum()
        if num_pred == 0 or num_gt == 0:
            scores[:, cls] = float(num_pred == num_gt)
            continue
        rows, cols = np.nonzero(pred_edge | gt_edge)  # the distances only need this box
        box = np.s_[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        precision = _matched(pred_edge[box], gt_edge[box], tolerances) / num_pred
        recall = _matched(gt_edge[box], pred_edge[box], tolerances) / num_gt
        with np.errstate(invalid='ignore'):
            f_score = 2 * precision * recall / (precision + recall)
        scores[:, cls] = np.nan_to_num(f_score, nan=0.0)
    return scores


@METRICS.register_module()
class BoundaryFScore(BaseMetric):
    """Boundary F-score per class at several pixel tolerances, for any model's predictions.

    Each image gives an F-score per class and tolerance (:func:`boundary_f_scores`,
    computed on the CPU); only their sums and the image count are kept, so memory does
    not grow with the dataset. The result is the mean over images, then over classes, in
    percent: ``mBF@3px``, ``mBF@5px``, ... (the per-class table is logged and kept in
    ``per_class``, columns ``BF@3px``, ...). A class absent
    from an image's prediction and ground truth scores 1 there, as in the paper's code.
    Distributed runs sum across ranks; each sample must be seen once (``round_up=False``).

    Args:
        tolerances: match distances in pixels.
        ignore_index: label value not counted.
        prefix: prefix of the metric names.
        collect_device: kept for mmengine's interface.
    """

    default_prefix = ''

    def __init__(self, tolerances: Sequence[float] = (3, 5, 9, 12), ignore_index: int = 255,
                 prefix: Optional[str] = None, collect_device: str = 'cpu'):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not tolerances or min(tolerances) < 0:
            raise ConfigError(f'BoundaryFScore tolerances {tolerances}: expected distances in '
                              'pixels >= 0')
        self.tolerances = tuple(tolerances)
        self.ignore_index = ignore_index
        self.sums = None
        self.num_samples = 0
        self.per_class = None

    def _num_classes(self) -> int:
        if not self.dataset_meta or not self.dataset_meta.get('classes'):
            raise ConfigError('BoundaryFScore needs dataset_meta with classes (set by the runner)')
        return len(self.dataset_meta['classes'])

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        num_classes = self._num_classes()
        if self.sums is None:
            self.sums = np.zeros((len(self.tolerances), num_classes))
        for sample in data_samples:
            pred = sample['pred_sem_seg']['data'].squeeze(0).cpu().numpy()
            gt = sample['gt_sem_seg']['data'].squeeze(0).cpu().numpy()
            self.sums += boundary_f_scores(pred, gt, num_classes, self.tolerances,
                                           self.ignore_index)
            self.num_samples += 1

    def evaluate(self, size: int) -> dict:
        """Sum across ranks, check each sample was counted once, average."""
        num_classes = self._num_classes()
        sums = torch.from_numpy(self.sums if self.sums is not None
                                else np.zeros((len(self.tolerances), num_classes)))
        counts = torch.tensor([self.num_samples], dtype=torch.float64)
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            device = torch.device('cuda') if dist.get_backend() == 'nccl' else sums.device
            sums, counts = sums.to(device), counts.to(device)
            dist.all_reduce(sums)
            dist.all_reduce(counts)
        if int(counts) != size:
            raise RuntimeError(f'BoundaryFScore counted {int(counts)} samples but the dataset '
                               f'has {size}: the val/test sampler must visit each sample once '
                               "(sampler=dict(type='DefaultSampler', shuffle=False, "
                               'round_up=False))')
        metrics = self.compute_metrics((sums / counts.clamp(min=1)).cpu().numpy())
        self.sums, self.num_samples = None, 0
        if self.prefix:
            metrics = {f'{self.prefix}/{k}': v for k, v in metrics.items()}
        return metrics

    def compute_metrics(self, per_class: np.ndarray) -> dict:
        """Class means of the ``(tolerances, classes)`` mean F-scores; logs the table."""
        self._log_table(per_class)
        self.per_class = per_class_table(
            self.dataset_meta['classes'],
            {f'BF@{t:g}px': row for t, row in zip(self.tolerances, per_class)})
        return {f'mBF@{t:g}px': round(float(row.mean()) * 100, 2)
                for t, row in zip(self.tolerances, per_class)}

    def _log_table(self, per_class: np.ndarray) -> None:
        classes = self.dataset_meta['classes']
        width = max(len(c) for c in classes) + 2
        names = [f'BF@{t:g}' for t in self.tolerances]
        header = 'Class'.ljust(width) + ''.join(f'{n:>9}' for n in names)
        rows = [c.ljust(width) + ''.join(f'{v * 100:9.2f}' for v in per_class[:, i])
                for i, c in enumerate(classes)]
        print_log('boundary F-score per class:\n' + '\n'.join([header, *rows]),
                  logger=MMLogger.get_current_instance())
