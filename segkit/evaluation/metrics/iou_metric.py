"""IoUMetric: mIoU, mAcc, mDice and aAcc from one running confusion matrix."""
from collections import OrderedDict
from typing import Optional, Sequence

import numpy as np
import torch
import torch.distributed as dist
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log

from segkit.registry import METRICS
from segkit.utils.errors import ConfigError

from ..metrics_files import per_class_table


@METRICS.register_module()
class IoUMetric(BaseMetric):
    """Semantic-segmentation metrics from a ``num_classes x num_classes`` confusion matrix.

    The matrix (rows: ground truth, columns: prediction) is accumulated on the
    prediction's device, so memory does not grow with the dataset. In distributed runs the
    matrices are summed across ranks; every sample must be seen exactly once (the val and
    test samplers must not pad: ``round_up=False``), which is checked.

    Reported (in percent): ``aAcc`` (pixel accuracy), ``mIoU``, ``mAcc`` and ``mDice``, and a
    per-class table in the log and in ``per_class`` (:mod:`segkit.evaluation.metrics_files`).
    Classes absent from both ground truth and prediction are NaN (None in ``per_class``) and
    left out of the means.

    Args:
        ignore_index: label value not counted.
        iou_metrics: which of 'mIoU', 'mDice' to report (aAcc and mAcc always are).
        prefix: prefix of the metric names.
        collect_device: kept for mmengine's interface.
    """

    default_prefix = ''

    def __init__(self, ignore_index: int = 255, iou_metrics: Sequence[str] = ('mIoU', 'mDice'),
                 prefix: Optional[str] = None, collect_device: str = 'cpu'):
        super().__init__(collect_device=collect_device, prefix=prefix)
        unknown = set(iou_metrics) - {'mIoU', 'mDice'}
        if unknown:
            raise ConfigError(f"IoUMetric iou_metrics {sorted(unknown)} unknown; expected 'mIoU' "
                              "and/or 'mDice'")
        self.ignore_index = ignore_index
        self.iou_metrics = tuple(iou_metrics)
        self.confusion = None
        self.num_samples = 0
        self.per_class = None

    def _num_classes(self) -> int:
        if not self.dataset_meta or not self.dataset_meta.get('classes'):
            raise ConfigError('IoUMetric needs dataset_meta with classes (set by the runner)')
        return len(self.dataset_meta['classes'])

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        num_classes = self._num_classes()
        for sample in data_samples:
            pred = sample['pred_sem_seg']['data'].squeeze(0)
            gt = sample['gt_sem_seg']['data'].squeeze(0).to(pred.device, torch.long)
            valid = gt != self.ignore_index
            if self.confusion is None:
                self.confusion = torch.zeros(num_classes * num_classes, dtype=torch.long,
                                             device=pred.device)
            index = gt[valid] * num_classes + pred[valid]
            self.confusion += torch.bincount(index, minlength=num_classes * num_classes)
            self.num_samples += 1

    def evaluate(self, size: int) -> dict:
        """Sum the matrices across ranks, check each sample was counted once, compute."""
        num_classes = self._num_classes()
        confusion = self.confusion if self.confusion is not None else torch.zeros(
            num_classes * num_classes, dtype=torch.long)
        counts = torch.tensor([self.num_samples], dtype=torch.long, device=confusion.device)
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            device = confusion.device if dist.get_backend() != 'nccl' else torch.device('cuda')
            confusion, counts = confusion.to(device), counts.to(device)
            dist.all_reduce(confusion)
            dist.all_reduce(counts)
        if int(counts) != size:
            raise RuntimeError(f'IoUMetric counted {int(counts)} samples but the dataset has {size}:'
                               ' the val/test sampler must visit each sample once '
                               "(sampler=dict(type='DefaultSampler', shuffle=False, round_up=False))")
        metrics = self.compute_metrics(confusion.view(num_classes, num_classes).cpu())
        self.confusion, self.num_samples = None, 0
        if self.prefix:
            metrics = {f'{self.prefix}/{k}': v for k, v in metrics.items()}
        return metrics

    def compute_metrics(self, confusion: torch.Tensor) -> dict:
        """Metrics from a ``(C, C)`` confusion matrix; logs the per-class table."""
        confusion = confusion.double()
        tp = confusion.diag()
        gt_area = confusion.sum(dim=1)
        pred_area = confusion.sum(dim=0)
        with np.errstate(divide='ignore', invalid='ignore'):
            iou = (tp / (gt_area + pred_area - tp)).numpy()
            acc = (tp / gt_area).numpy()
            dice = (2 * tp / (gt_area + pred_area)).numpy()
        table = OrderedDict(IoU=iou, Acc=acc)
        if 'mDice' in self.iou_metrics:
            table['Dice'] = dice
        self._log_table(table)
        self.per_class = per_class_table(self.dataset_meta['classes'], table)
        metrics = dict(aAcc=float(tp.sum() / confusion.sum().clamp(min=1)) * 100,
                       mAcc=float(np.nanmean(acc)) * 100)
        if 'mIoU' in self.iou_metrics:
            metrics['mIoU'] = float(np.nanmean(iou)) * 100
        if 'mDice' in self.iou_metrics:
            metrics['mDice'] = float(np.nanmean(dice)) * 100
        return {k: round(v, 2) for k, v in metrics.items()}

    def _log_table(self, table: dict) -> None:
        classes = self.dataset_meta['classes']
        width = max(len(c) for c in classes) + 2
        header = 'Class'.ljust(width) + ''.join(f'{k:>8}' for k in table)
        rows = [c.ljust(width) + ''.join(f'{v[i] * 100:8.2f}' for v in table.values())
                for i, c in enumerate(classes)]
        print_log('per class results:\n' + '\n'.join([header, *rows]), logger=MMLogger.get_current_instance())

