"""CityscapesMetric: the official Cityscapes pixel-level evaluation, and submission files."""
import contextlib
import copy
import io
import os
import os.path as osp
import shutil
import tempfile
import types
from typing import Optional, Sequence

import cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling as cs_eval
import numpy as np
from cityscapesscripts.helpers.labels import labels as CS_LABELS
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from PIL import Image

from segkit.datasets.cityscapes_labels import (LABEL_IDS_SUFFIX, TRAIN_IDS_SUFFIX,
                                               train_id_to_label_id)
from segkit.registry import METRICS
from segkit.utils.errors import ConfigError, DataError

from ..metrics_files import per_class_table

INSTANCE_IDS_SUFFIX = '_gtFine_instanceIds.png'
NUM_TRAIN_IDS = 19


class _NumpyWithIn1d(types.ModuleType):
    """numpy plus ``in1d``, removed in NumPy 2.4 but called by cityscapesscripts 2.3's
    instance-level evaluation."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def in1d(ar1, ar2, invert: bool = False) -> np.ndarray:
        return np.isin(np.ravel(ar1), ar2, invert=invert)


if not hasattr(np, 'in1d'):
    cs_eval.np = _NumpyWithIn1d('numpy')  # only the evaluator module's name is rebound


def evaluate_official(pred_files: Sequence[str], gt_files: Sequence[str],
                      instance_level: bool = True) -> dict:
    """Run cityscapesscripts' ``evaluateImgLists`` quietly, without writing its JSON file.

    Args:
        pred_files: label-id PNGs, one per ground-truth file.
        gt_files: ``*_gtFine_labelIds.png`` files (``*_gtFine_instanceIds.png`` beside them
            when ``instance_level``).
        instance_level: also compute the instance-weighted scores (iIoU).

    Returns:
        The evaluator's result dict (``classScores``, ``averageScoreClasses``, ...; 0-1).
    """
    args = copy.copy(cs_eval.args)
    args.evalInstLevelScore = instance_level
    args.evalPixelAccuracy = False
    args.JSONOutput = False
    args.quiet = True
    args.colorized = False
    args.bold = args.nocol = ''
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            return cs_eval.evaluateImgLists(list(pred_files), list(gt_files), args)
    except SystemExit:  # cityscapesscripts prints 'ERROR: ...' and exits
        lines = printed.getvalue().strip().splitlines()
        raise DataError('cityscapesscripts evaluation failed: '
                        + (lines[-1] if lines else 'no message')) from None


@METRICS.register_module()
class CityscapesMetric(BaseMetric):
    """Cityscapes' official pixel-level evaluation of train-id predictions.

    Each prediction is mapped from train ids back to label ids and written as an 8-bit
    grayscale PNG named after its image (``<city>_xxxxxx_yyyyyy_leftImg8bit.png``), the
    format of the benchmark server. Unless ``format_only``, cityscapesscripts'
    ``evalPixelLevelSemanticLabeling`` then compares them with the ``*_gtFine_labelIds.png``
    beside each sample's ``*_gtFine_labelTrainIds.png`` (and ``*_gtFine_instanceIds.png``
    with ``instance_level``). Its class IoUs equal :class:`IoUMetric`'s on the same
    predictions.

    Reported in percent: ``mIoU`` and ``mIoU_category`` (class and category IoU), and with
    ``instance_level`` ``iIoU`` and ``iIoU_category``; per-class scores go to the log and to
    ``per_class`` (columns ``IoU``, ``iIoU``).

    Args:
        output_dir: folder for the prediction PNGs, kept; None writes them to a temporary
            folder removed after evaluation. Multi-node runs need a shared folder.
        format_only: only write the PNGs (a test-set submission: zip the folder); needs
            ``output_dir``.
        instance_level: also compute the instance-level scores (iIoU).
        prefix: prefix of the metric names.
        collect_device: kept for mmengine's interface.
    """

    default_prefix = ''

    def __init__(self, output_dir: Optional[str] = None, format_only: bool = False,
                 instance_level: bool = True, prefix: Optional[str] = None,
                 collect_device: str = 'cpu'):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if format_only and not output_dir:
            raise ConfigError('CityscapesMetric format_only=True needs output_dir (the folder '
                              'to write the submission PNGs to)')
        self.output_dir = output_dir
        self.format_only = format_only
        self.instance_level = instance_level
        self._tmp_dir = None
        self.per_class = None
        self._train_to_label_id = train_id_to_label_id()

    def _out_dir(self) -> str:
        if self.output_dir:
            os.makedirs(self.output_dir, exist_ok=True)
            return self.output_dir
        if self._tmp_dir is None:
            self._tmp_dir = tempfile.mkdtemp(prefix='segkit_cityscapes_')
        return self._tmp_dir

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        classes = (self.dataset_meta or {}).get('classes', ())
        if classes and len(classes) != NUM_TRAIN_IDS:
            raise ConfigError(f'CityscapesMetric needs the {NUM_TRAIN_IDS} Cityscapes train ids '
                              f'as classes; the dataset has {len(classes)}')
        out_dir = self._out_dir()
        for sample in data_samples:
            pred = sample['pred_sem_seg']['data'][0].cpu().numpy().astype(np.uint8)
            name = osp.splitext(osp.basename(sample['img_path']))[0] + '.png'
            pred_path = osp.abspath(osp.join(out_dir, name))
            Image.fromarray(self._train_to_label_id[pred]).save(pred_path)
            self.results.append((pred_path, None if self.format_only else self._gt_path(sample)))

    def _gt_path(self, sample: dict) -> str:
        """The ``*_gtFine_labelIds.png`` beside the sample's train-id label; checked."""
        seg_path = sample.get('seg_map_path') or ''
        if not seg_path.endswith(TRAIN_IDS_SUFFIX):
            raise DataError(f"CityscapesMetric: label of {sample['img_path']} is {seg_path!r}; "
                            f'expected a *{TRAIN_IDS_SUFFIX} with the official '
                            f'*{LABEL_IDS_SUFFIX} beside it (or use format_only=True)')
        gt_path = seg_path[:-len(TRAIN_IDS_SUFFIX)] + LABEL_IDS_SUFFIX
        needed = [gt_path]
        if self.instance_level:
            needed.append(seg_path[:-len(TRAIN_IDS_SUFFIX)] + INSTANCE_IDS_SUFFIX)
        for path in needed:
            if not osp.isfile(path):
                raise DataError(f'CityscapesMetric needs the official ground truth {path} (from '
                                'gtFine_trainvaltest.zip); set instance_level=False if only '
                                'instance ids are missing')
        return gt_path

    def compute_metrics(self, results: list) -> dict:
        if self.format_only:
            print_log(f'Cityscapes submission: {len(results)} label-id PNGs written to '
                      f'{self.output_dir} (zip this folder to submit)',
                      logger=MMLogger.get_current_instance())
            self.per_class = None
            return {}
        pred_files, gt_files = zip(*results)
        scores = evaluate_official(pred_files, gt_files, self.instance_level)
        self._log_table(scores)
        names = [label.name for label in CS_LABELS if not label.ignoreInEval]
        columns = {'IoU': [scores['classScores'][n] for n in names]}
        if self.instance_level:
            columns['iIoU'] = [scores['classInstScores'][n] for n in names]
        self.per_class = per_class_table(names, columns)
        metrics = dict(mIoU=scores['averageScoreClasses'],
                       mIoU_category=scores['averageScoreCategories'])
        if self.instance_level:
            metrics['iIoU'] = scores['averageScoreInstClasses']
            metrics['iIoU_category'] = scores['averageScoreInstCategories']
        return {k: round(v * 100, 2) for k, v in metrics.items()}

    def evaluate(self, size: int) -> dict:
        """Evaluate, then remove the temporary prediction folder if one was made."""
        try:
            return super().evaluate(size)
        finally:
            if self._tmp_dir is not None:
                shutil.rmtree(self._tmp_dir, ignore_errors=True)
                self._tmp_dir = None

    def _log_table(self, scores: dict) -> None:
        names = [label.name for label in CS_LABELS if not label.ignoreInEval]
        width = max(len(n) for n in names) + 2
        header = 'Class'.ljust(width) + f"{'IoU':>8}" + (f"{'iIoU':>8}" if self.instance_level
                                                        else '')
        rows = []
        for name in names:
            row = name.ljust(width) + f"{scores['classScores'][name] * 100:8.2f}"
            if self.instance_level:
                row += f"{scores['classInstScores'][name] * 100:8.2f}"
            rows.append(row)
        print_log('Cityscapes official per class results:\n' + '\n'.join([header, *rows]),
                  logger=MMLogger.get_current_instance())
