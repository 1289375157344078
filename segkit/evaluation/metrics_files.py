"""Metrics as files a script or a spreadsheet reads: per-class tables, JSON, JSON lines, CSV.

Metrics that compute per-class values (:class:`IoUMetric`, :class:`BoundaryFScore`,
:class:`CityscapesMetric`) keep the table of their last evaluation in ``per_class``:
``{class name: {column: percent}}``, None where a value is undefined (a class absent from
ground truth and prediction). A dataset-level metric named ``m<column>`` (``mIoU``) is the
class mean of that column (``IoU``).
"""
import csv
import io
import json
import math
import os.path as osp
from typing import Dict, Optional, Sequence

from segkit.checkpoint.io import atomic_write
from segkit.utils.errors import ConfigError

OUT_FORMATS = ('.json', '.csv')
OVERALL_ROW = 'overall'


def per_class_table(classes: Sequence[str], columns: Dict[str, Sequence[float]]) -> dict:
    """``{class: {column: percent, 2 decimals}}`` from ``{column: fractions in class order}``;
    NaN becomes None."""
    return {name: {column: _percent(values[i]) for column, values in columns.items()}
            for i, name in enumerate(classes)}


def evaluator_per_class(evaluator) -> dict:
    """The per-class tables of the evaluator's metrics, merged (``{}`` when none has one)."""
    table = {}
    for metric in getattr(evaluator, 'metrics', []):
        for name, values in (getattr(metric, 'per_class', None) or {}).items():
            table.setdefault(name, {}).update(values)
    return table


def metrics_record(metrics: dict, per_class: dict, **fields) -> dict:
    """``{**fields, 'metrics': ..., 'per_class': ...}`` as strict JSON data (NaN -> None)."""
    return dict(fields, metrics={k: _plain(v) for k, v in metrics.items()}, per_class=per_class)


def check_metrics_path(path: str) -> None:
    """Fail unless ``path`` names a ``.json`` or ``.csv`` file in an existing folder."""
    if osp.splitext(path)[1].lower() not in OUT_FORMATS:
        raise ConfigError(f'--out-metrics {path}: expected a .json or .csv file name')
    folder = osp.dirname(path) or '.'
    if not osp.isdir(folder):
        raise ConfigError(f'--out-metrics {path}: folder {folder} does not exist')


def write_metrics(path: str, metrics: dict, per_class: dict) -> None:
    """Write ``metrics`` and the per-class table to ``path`` (.json or .csv), atomically.

    JSON: ``{"metrics": {...}, "per_class": {class: {column: value}}}``. CSV: one row per
    class (``class,IoU,Acc,...``), then an ``overall`` row holding each dataset-level metric
    in the column it averages (``mIoU`` under ``IoU``) or in a column of its own (``aAcc``).
    """
    check_metrics_path(path)
    if path.lower().endswith('.json'):
        text = json.dumps(metrics_record(metrics, per_class), indent=2, allow_nan=False) + '\n'
    else:
        text = _csv_text(metrics, per_class)
    atomic_write(path, lambda f: f.write(text.encode('utf-8')))


def append_metrics_line(path: str, record: dict) -> None:
    """Append ``record`` to the JSON-lines file ``path`` as one line."""
    with open(path, 'a', encoding='utf-8') as f:
        f.write(json.dumps(record, allow_nan=False) + '\n')


def _csv_text(metrics: dict, per_class: dict) -> str:
    columns = list(dict.fromkeys(c for values in per_class.values() for c in values))
    overall = {}
    for key, value in metrics.items():
        column = next((c for c in columns if key in (c, f'm{c}')), key)
        if column not in columns:
            columns.append(column)
        overall[column] = _plain(value)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(['class', *columns])
    for name, values in [*per_class.items(), (OVERALL_ROW, overall)]:
        writer.writerow([name, *('' if values.get(c) is None else values[c] for c in columns)])
    return out.getvalue()


def _percent(value: float) -> Optional[float]:
    value = float(value)
    return None if math.isnan(value) else round(value * 100, 2)


def _plain(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, 'item'):  # NumPy / torch scalars
        return _plain(value.item())
    return value
