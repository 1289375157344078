"""MetricsFileHook: every validation's metrics and per-class table as one JSON line."""
import os
import os.path as osp
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from segkit.evaluation.metrics_files import (append_metrics_line, evaluator_per_class,
                                             metrics_record)
from segkit.registry import HOOKS


@HOOKS.register_module()
class MetricsFileHook(Hook):
    """Append ``{"iter": N, "metrics": {...}, "per_class": {class: {column: value}}}`` to
    ``<work_dir>/<timestamp>/<filename>`` after each validation (main process only).

    Values are in percent, None where undefined; ``per_class`` merges the tables of the
    validation metrics that keep one (:mod:`segkit.evaluation.metrics_files`). Read it with
    ``pandas.read_json(path, lines=True)`` or ``tools/analysis/analyze_logs.py``.

    Args:
        filename: the file name in the run's log folder.
    """

    priority = 'LOW'

    def __init__(self, filename: str = 'metrics.jsonl'):
        self.filename = filename

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        if not metrics or not is_main_process():
            return
        os.makedirs(runner.log_dir, exist_ok=True)
        record = metrics_record(metrics, evaluator_per_class(runner.val_evaluator),
                                iter=runner.iter)
        append_metrics_line(osp.join(runner.log_dir, self.filename), record)
