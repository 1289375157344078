"""Throughput of a training pipeline on generated Cityscapes-size images."""
import os
import os.path as osp
import time
from typing import Dict, Sequence

import cv2
import numpy as np
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

from segkit.registry import DATASETS

from .timing import format_table


def write_cityscapes_like(root: str, num_images: int, shape=(1024, 2048), num_classes: int = 19,
                          seed: int = 0) -> None:
    """Write ``num_images`` random images and train-id labels in the Cityscapes layout."""
    rng = np.random.default_rng(seed)
    img_dir = osp.join(root, 'leftImg8bit', 'train', 'city')
    seg_dir = osp.join(root, 'gtFine', 'train', 'city')
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(seg_dir, exist_ok=True)
    h, w = shape
    for i in range(num_images):
        # Smooth random images compress like photos; blocky labels like real ones.
        small = rng.integers(0, 256, (h // 16, w // 16, 3), dtype=np.uint8)
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
        label = cv2.resize(rng.integers(0, num_classes, (h // 64, w // 64), dtype=np.uint8),
                           (w, h), interpolation=cv2.INTER_NEAREST)
        cv2.imwrite(osp.join(img_dir, f'city_{i:06d}_000019_leftImg8bit.png'), img)
        cv2.imwrite(osp.join(seg_dir, f'city_{i:06d}_000019_gtFine_labelTrainIds.png'), label)


def benchmark_data_pipeline(root: str, pipeline: Sequence[dict], workers: Sequence[int],
                            num_samples: int, batch_size: int = 2) -> Dict[int, dict]:
    """Samples/s of the pipeline through a DataLoader for each worker count."""
    dataset = DATASETS.build(dict(type='CityscapesDataset', data_root=root, pipeline=pipeline))
    results = {}
    for num_workers in workers:
        loader = DataLoader(dataset, batch_size=batch_size, num_workers=num_workers,
                            collate_fn=pseudo_collate, shuffle=True,
                            persistent_workers=False)
        seen, start = 0, None
        while seen < num_samples:
            for batch in loader:
                if start is None:  # the first batch pays for worker start-up
                    start = time.perf_counter()
                    continue
                seen += len(batch['inputs'])
                if seen >= num_samples:
                    break
        elapsed = time.perf_counter() - start
        rate = seen / elapsed
        results[num_workers] = dict(samples_per_s=rate,
                                    per_worker=rate / max(num_workers, 1))
    return results


def data_table(results: Dict[int, dict]) -> str:
    rows = [(n, f"{r['samples_per_s']:.2f}", f"{r['per_worker']:.2f}")
            for n, r in results.items()]
    return format_table(rows, ('workers', 'samples/s', 'samples/s per worker'))
