"""Training curves from mmengine's scalar logs (``vis_data/scalars.json``) and segkit's
validation metrics files (``metrics.jsonl``, per-class values included)."""
import glob
import json
import os.path as osp
from typing import Dict, List, Sequence, Tuple

from segkit.utils.errors import DataError

LOG_FILES = (osp.join('vis_data', 'scalars.json'), 'metrics.jsonl')


def find_scalar_files(path: str) -> List[str]:
    """The scalar logs and metrics files of a run, oldest first.

    ``path`` is a ``.json`` log, a ``metrics.jsonl`` file, a run folder
    (``<work_dir>/<timestamp>``) or a work dir, whose runs (a resumed training has one per
    start) are all read.
    """
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise DataError(f'log not found: {path}')
    files = sorted(found for name in LOG_FILES for folder in (path, osp.join(path, '*'))
                   for found in glob.glob(osp.join(folder, name)))
    if not files:
        raise DataError(f'no vis_data/scalars.json or metrics.jsonl under {path}: expected the '
                        'work dir of tools/train.py, one of its timestamped run folders or a '
                        '.json/.jsonl log')
    return files


def load_scalars(path: str) -> List[dict]:
    """Every record (one JSON object per line, with a ``step``) of the run at ``path``.

    A ``metrics.jsonl`` record becomes ``{'step': iter, <metric>: value, ...,
    '<column>/<class>': value, ...}`` (``'IoU/road'``).
    """
    records = []
    for file in find_scalar_files(path):
        with open(file) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    records.append(_scalars(json.loads(line)))
                except json.JSONDecodeError as e:
                    raise DataError(f'{file}, line {number}: not JSON ({e.msg})') from None
    return records


def _scalars(record: dict) -> dict:
    """A metrics-file record (``iter``, ``metrics``, ``per_class``) as flat scalars."""
    if not isinstance(record.get('metrics'), dict) or 'iter' not in record:
        return record
    flat = dict(record['metrics'], step=record['iter'])
    for name, values in (record.get('per_class') or {}).items():
        flat.update({f'{column}/{name}': value for column, value in values.items()})
    return flat


def series(records: Sequence[dict], key: str) -> Tuple[List[int], List[float]]:
    """``(steps, values)`` of ``key``, sorted by step; a step logged twice (a resumed run
    repeats the iterations after its checkpoint) keeps its latest value."""
    by_step = {r['step']: r[key] for r in records if key in r and 'step' in r}
    steps = sorted(by_step)
    return steps, [by_step[s] for s in steps]


def plot_curves(runs: Dict[str, Sequence[dict]], keys: Sequence[str], out_file: str,
                title: str = ''):
    """Plot ``keys`` (one panel each, against the iteration) for every run; save a PNG.

    Args:
        runs: records of each run, by legend name.
        keys: logged scalars, e.g. ``('loss', 'lr', 'mIoU')``.
        out_file: the PNG to write.
        title: figure title.

    Returns:
        The matplotlib Figure (its lines hold the plotted points).
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    for key in keys:
        if not any(series(records, key)[0] for records in runs.values()):
            logged = sorted({k for records in runs.values() for r in records for k in r} - {'step'})
            raise DataError(f'no run logged {key!r}; logged keys: {", ".join(logged)}')
    fig, axes = plt.subplots(1, len(keys), figsize=(4.5 * len(keys), 3.5), squeeze=False)
    for ax, key in zip(axes[0], keys):
        for name, records in runs.items():
            steps, values = series(records, key)
            if steps:
                ax.plot(steps, values, marker='o' if len(steps) <= 20 else None,
                        markersize=3, label=name)
        ax.set_xlabel('iteration')
        ax.set_title(key)
        ax.grid(alpha=0.3)
        if len(runs) > 1:
            ax.legend(fontsize='small')
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out_file, dpi=80)
    plt.close(fig)
    return fig
