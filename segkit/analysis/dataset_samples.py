"""The training samples a model sees: images and labels after the training pipeline."""
import os.path as osp
from typing import Iterator, Tuple

import numpy as np
from mmengine.dataset import BaseDataset

from segkit.visualization import display_rgb


def augmented_samples(dataset: BaseDataset, num: int
                      ) -> Iterator[Tuple[str, np.ndarray, np.ndarray]]:
    """Yield ``(name, RGB uint8 image, class map)`` for the first ``num`` samples.

    Each goes through the dataset's pipeline; for ``DATASETS.build(cfg.train_dataloader
    .dataset)`` (crop, flip, photometric distortion, ...) that is what the model is trained
    on, before normalisation and padding (N-channel and 16-bit images shown as
    :func:`~segkit.visualization.display_rgb` does). ``name`` is ``<index>_<image name>.png``.
    """
    load = dataset.pipeline.transforms[0] if dataset.pipeline.transforms else None
    bgr = getattr(load, 'imdecode_backend', 'cv2') != 'tifffile'
    for index in range(min(num, len(dataset))):
        packed = dataset[index]
        img = display_rgb(packed['inputs'].numpy().transpose(1, 2, 0), bgr=bgr)
        label = packed['data_samples'].gt_sem_seg.data[0].numpy()
        stem = osp.splitext(osp.basename(packed['data_samples'].img_path))[0]
        yield f'{index:04d}_{stem}.png', img, label
