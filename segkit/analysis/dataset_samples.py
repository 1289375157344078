"""The training samples a model sees: images and labels after the training pipeline."""
import os.path as osp
from typing import Iterator, Tuple

import numpy as np
from mmengine.dataset import BaseDataset


def augmented_samples(dataset: BaseDataset, num: int
                      ) -> Iterator[Tuple[str, np.ndarray, np.ndarray]]:
    """Yield ``(name, RGB uint8 image, class map)`` for the first ``num`` samples.

    Each goes through the dataset's pipeline; for ``DATASETS.build(cfg.train_dataloader
    .dataset)`` (crop, flip, photometric distortion, ...) that is what the model is trained
    on, before normalisation and padding. ``name`` is ``<index>_<image name>.png``.
    """
    for index in range(min(num, len(dataset))):
        packed = dataset[index]
        img = packed['inputs'].numpy().transpose(1, 2, 0)[..., ::-1]
        label = packed['data_samples'].gt_sem_seg.data[0].numpy()
        stem = osp.splitext(osp.basename(packed['data_samples'].img_path))[0]
        yield (f'{index:04d}_{stem}.png', np.ascontiguousarray(np.clip(img, 0, 255), np.uint8),
               label)
