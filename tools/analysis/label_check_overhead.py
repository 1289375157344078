"""Time LoadAnnotations with and without the label-value check.

python tools/analysis/label_check_overhead.py [--height 1024] [--width 2048] [--repeats 30]

Two synthetic Cityscapes-sized labels (19 classes, 255 ignored): 'regions' (large areas, as
real labels; the PNG decodes fast) and 'noise' (a random class per pixel; the slowest PNG to
decode). Prints the median time per label with and without the check (runs interleaved),
their ratio, and the time of the check alone.
"""
import argparse
import os.path as osp
import statistics
import tempfile
import time

import cv2
import numpy as np
from PIL import Image

from segkit.datasets.transforms import LoadAnnotations
from segkit.datasets.transforms.load_annotations import check_label

NUM_CLASSES = 19
IGNORE_INDEX = 255


def make_labels(height: int, width: int, seed: int = 0) -> dict:
    """``{'regions': ..., 'noise': ...}`` uint8 label maps of the given size."""
    rng = np.random.default_rng(seed)
    regions = np.full((height, width), IGNORE_INDEX, dtype=np.uint8)
    for _ in range(60):
        points = rng.integers(0, (width, height), (6, 2)).astype(np.int32)
        cv2.fillPoly(regions, [cv2.convexHull(points)], int(rng.integers(0, NUM_CLASSES)))
    noise = rng.integers(0, NUM_CLASSES, (height, width), dtype=np.uint8)
    noise[rng.random((height, width)) < 0.05] = IGNORE_INDEX
    return dict(regions=regions, noise=noise)


def median_ms(path: str, repeats: int) -> tuple:
    """Median ms of LoadAnnotations without and with the check, runs interleaved."""
    results = dict(seg_map_path=path, num_classes=NUM_CLASSES, ignore_index=IGNORE_INDEX)
    transforms = (LoadAnnotations(check_labels=False), LoadAnnotations(check_labels=True))
    times = ([], [])
    for _ in range(repeats):
        for transform, record in zip(transforms, times):
            start = time.perf_counter()
            transform(dict(results))
            record.append(time.perf_counter() - start)
    return tuple(statistics.median(t) * 1000 for t in times)


def check_ms(label: np.ndarray, repeats: int) -> float:
    """Median ms of the value check alone."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        check_label(label, NUM_CLASSES, IGNORE_INDEX, 'label.png')
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main():
    parser = argparse.ArgumentParser(description='Label-check overhead of LoadAnnotations')
    parser.add_argument('--height', type=int, default=1024)
    parser.add_argument('--width', type=int, default=2048)
    parser.add_argument('--repeats', type=int, default=30)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as tmp:
        print(f'LoadAnnotations on a {args.height}x{args.width} label, median of {args.repeats}')
        print(f"{'label':<10}{'no check ms':>13}{'check ms':>10}{'ratio':>8}"
              f"{'check alone ms':>16}")
        for name, label in make_labels(args.height, args.width).items():
            path = osp.join(tmp, f'{name}.png')
            Image.fromarray(label).save(path)
            median_ms(path, 2)  # warm the file cache
            without, with_check = median_ms(path, args.repeats)
            print(f'{name:<10}{without:>13.2f}{with_check:>10.2f}{with_check / without:>8.3f}'
                  f'{check_ms(label, args.repeats):>16.2f}')


if __name__ == '__main__':
    main()
