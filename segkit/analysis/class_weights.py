"""Class weights from the label statistics of a training set.

``python tools/analysis/class_weights.py CONFIG`` prints them ready to paste into a loss's
``class_weight=[...]``. Labels are read through the config's training dataset with only
``LoadAnnotations``, so ConcatDataset / RepeatDataset, split lists and
``reduce_zero_label`` apply exactly as in training.
"""
import copy
from typing import Optional

import numpy as np

from segkit.config import load_config
from segkit.registry import DATASETS, register_all_modules
from segkit.utils.errors import ConfigError

METHODS = ('median_freq', 'inverse_log')
ENET_C = 1.02  # ENet's c in 1 / ln(c + p): caps weights at 1 / ln(1.02) ~ 50.5


def labels_only(dataset_cfg: dict) -> dict:
    """A copy of a dataset config whose pipelines only load the labels."""
    cfg = copy.deepcopy(dict(dataset_cfg))
    if 'datasets' in cfg:
        cfg['datasets'] = [labels_only(d) for d in cfg['datasets']]
    elif 'dataset' in cfg:
        cfg['dataset'] = labels_only(cfg['dataset'])
    else:
        cfg['pipeline'] = [dict(type='LoadAnnotations')]
    return cfg


def count_label_pixels(dataset_cfg: dict, max_images: Optional[int] = None) -> dict:
    """Count the pixels of each class over a dataset's labels.

    Args:
        dataset_cfg: a dataset config (a ``train_dataloader.dataset``); its pipelines are
            replaced by ``LoadAnnotations``.
        max_images: read only the first ``max_images`` samples.

    Returns:
        dict with, per class, ``class_pixels`` (its pixel count) and ``image_pixels`` (the
        non-ignored pixels of the images that contain it); ``classes`` (the names) and
        ``num_images`` (the images read).
    """
    register_all_modules()
    dataset = DATASETS.build(labels_only(dataset_cfg))
    classes = list(dataset.metainfo['classes'])
    num_classes = len(classes)
    if num_classes == 0:
        raise ConfigError(f"dataset {dataset_cfg.get('type')!r} declares no classes; set "
                          'metainfo=dict(classes=...)')
    num_images = len(dataset) if max_images is None else min(max_images, len(dataset))
    class_pixels = np.zeros(num_classes, np.int64)
    image_pixels = np.zeros(num_classes, np.int64)
    for index in range(num_images):
        label = dataset[index]['gt_seg_map']
        # LoadAnnotations guarantees values < num_classes or ignore_index (>= num_classes)
        counts = np.bincount(label.ravel(), minlength=num_classes)[:num_classes]
        class_pixels += counts
        image_pixels[counts > 0] += counts.sum()
    return dict(class_pixels=class_pixels, image_pixels=image_pixels, classes=classes,
                num_images=num_images)


def median_frequency_weights(class_pixels: np.ndarray, image_pixels: np.ndarray) -> np.ndarray:
    """Median-frequency balancing (Eigen & Fergus 2015): ``median(freq) / freq[c]``.

    ``freq[c]`` is the pixels of class c over the pixels of the images where c appears.
    Classes never seen get weight 1.0.
    """
    present = class_pixels > 0
    if not present.any():
        raise ConfigError('no labelled pixel found: cannot compute class weights')
    freq = class_pixels[present] / image_pixels[present]
    weights = np.ones(len(class_pixels))
    weights[present] = np.median(freq) / freq
    return weights


def inverse_log_weights(class_pixels: np.ndarray, c: float = ENET_C) -> np.ndarray:
    """ENet's weights ``1 / ln(c + p[c])``, ``p[c]`` being the class's share of all pixels."""
    total = class_pixels.sum()
    if total == 0:
        raise ConfigError('no labelled pixel found: cannot compute class weights')
    return 1.0 / np.log(c + class_pixels / total)


def class_weights_from_config(config: str, method: str = 'median_freq',
                              max_images: Optional[int] = None,
                              cfg_options: Optional[dict] = None) -> dict:
    """Class weights of the training set of ``config``.

    Args:
        config: config file path.
        method: 'median_freq' or 'inverse_log'.
        max_images: read only the first ``max_images`` training samples.
        cfg_options: ``{dotted.key: value}`` overrides of the config.

    Returns:
        the dict of :func:`count_label_pixels` plus ``weights`` (one per class) and
        ``method``.
    """
    if method not in METHODS:
        raise ConfigError(f"--method {method!r}: expected one of {', '.join(METHODS)}")
    if max_images is not None and max_images < 1:
        raise ConfigError(f'--max-images must be >= 1, got {max_images}')
    cfg = load_config(config, cfg_options=cfg_options)
    dataset_cfg = cfg.get('train_dataloader', {}).get('dataset')
    if dataset_cfg is None:
        raise ConfigError(f'{config}: no train_dataloader.dataset to read labels from')
    result = count_label_pixels(dataset_cfg, max_images)
    if method == 'median_freq':
        weights = median_frequency_weights(result['class_pixels'], result['image_pixels'])
    else:
        weights = inverse_log_weights(result['class_pixels'])
    return dict(result, weights=weights, method=method)


def format_class_weights(result: dict, decimals: int = 4) -> str:
    """Comment lines (class, pixel share, weight) and a ``class_weight=[...]`` line."""
    shares = result['class_pixels'] / max(result['class_pixels'].sum(), 1)
    width = max(len(name) for name in result['classes'])
    lines = [f"# {result['method']} class weights from {result['num_images']} label images"]
    for name, pixels, share, weight in zip(result['classes'], result['class_pixels'], shares,
                                           result['weights']):
        lines.append(f'#   {name:<{width}}  {100 * share:6.2f}% of pixels  '
                     f'weight {weight:.{decimals}f}' + ('  (never seen)' if pixels == 0 else ''))
    values = ', '.join(f'{w:.{decimals}f}' for w in result['weights'])
    lines.append(f'class_weight=[{values}]')
    return '\n'.join(lines)
