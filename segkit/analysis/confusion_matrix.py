"""Confusion matrices of predictions on a config's test set, and their plot."""
import os.path as osp
from typing import Iterable, Iterator, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from segkit.registry import DATASETS
from segkit.utils.errors import DataError
from segkit.utils.unreadable import read_png

# Cells are annotated with their percentage up to this many classes.
MAX_ANNOTATED_CLASSES = 30


def confusion_matrix(pairs: Iterable[Tuple[np.ndarray, np.ndarray]], num_classes: int,
                     ignore_index: int = 255) -> np.ndarray:
    """Pixel counts ``(num_classes, num_classes)``: rows ground truth, columns prediction.

    Args:
        pairs: ``(prediction, ground truth)`` class maps of the same size.
        num_classes: number of classes.
        ignore_index: ground-truth value not counted.
    """
    counts = np.zeros(num_classes * num_classes, dtype=np.int64)
    for pred, gt in pairs:
        if pred.shape != gt.shape:
            raise DataError(f'prediction {pred.shape} and ground truth {gt.shape} differ in size')
        valid = gt != ignore_index
        index = gt[valid].astype(np.int64) * num_classes + pred[valid].astype(np.int64)
        counts += np.bincount(index, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def normalize_rows(counts: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (the share of a class's pixels predicted as each class);
    classes absent from the ground truth get a row of zeros."""
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)


def build_test_dataset(cfg: Config, annotations_only: bool = False):
    """The config's test dataset; with ``annotations_only`` its pipeline only loads labels."""
    dataset_cfg = dict(cfg.test_dataloader.dataset)
    if annotations_only:
        dataset_cfg['pipeline'] = [dict(type='LoadAnnotations')]
    return DATASETS.build(dataset_cfg)


def pairs_from_predictions(dataset, pred_dir: str) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
    """Yield ``(prediction, ground truth)`` for each image of ``dataset``.

    The prediction of image ``NAME.ext`` is ``pred_dir/NAME.png`` (class indices, as written
    by ``tools/test.py --out``); ``dataset`` is from :func:`build_test_dataset` with
    ``annotations_only=True``.
    """
    for index in range(len(dataset)):
        results = dataset[index]
        name = osp.splitext(osp.basename(results['img_path']))[0] + '.png'
        path = osp.join(pred_dir, name)
        if not osp.isfile(path):
            raise DataError(f'no prediction {path} for test image {results["img_path"]}')
        prediction = read_png(path, 'cannot read prediction')
        if prediction.ndim != 2:
            raise DataError(f'prediction {path} is a colour image (shape {prediction.shape}), '
                            'not a class map: give the folder of tools/test.py --out (PNGs of '
                            'class indices), not overlays (--show-dir, tools/infer.py)')
        yield prediction, results['gt_seg_map']


def pairs_from_checkpoint(model: torch.nn.Module, dataset
                          ) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
    """Yield ``(prediction, ground truth)`` for each image of ``dataset`` (from
    :func:`build_test_dataset`), predicted by ``model`` (from :func:`segkit.apis.init_model`)."""
    with torch.no_grad():
        for index in range(len(dataset)):
            sample = model.test_step(pseudo_collate([dataset[index]]))[0]
            yield (sample.pred_sem_seg.data[0].cpu().numpy(),
                   sample.gt_sem_seg.data[0].cpu().numpy())


def plot_confusion_matrix(matrix: np.ndarray, classes: Sequence[str], out_file: str,
                          title: str = 'Normalised confusion matrix'):
    """Save a row-normalised matrix as a PNG heat map; returns the matplotlib Figure."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    num_classes = len(classes)
    side = max(4.0, 0.45 * num_classes + 2)
    fig, ax = plt.subplots(figsize=(side + 1, side))
    image = ax.imshow(matrix, cmap='Blues', vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(num_classes), classes, rotation=90)
    ax.set_yticks(range(num_classes), classes)
    ax.set_xlabel('prediction')
    ax.set_ylabel('ground truth')
    ax.set_title(title)
    if num_classes <= MAX_ANNOTATED_CLASSES:
        for i in range(num_classes):
            for j in range(num_classes):
                if matrix[i, j] > 0:
                    ax.text(j, i, f'{100 * matrix[i, j]:.0f}', ha='center', va='center',
                            fontsize=7, color='white' if matrix[i, j] > 0.5 else 'black')
    fig.tight_layout()
    fig.savefig(out_file, dpi=80)
    plt.close(fig)
    return fig
