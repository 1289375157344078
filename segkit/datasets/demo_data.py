"""Built-in synthetic demo dataset in the PASCAL VOC layout.

Five classes: background plus four foreground classes that are defined only by
their texture (horizontal stripes, vertical stripes, checkerboard, diagonal
stripes). Every object is painted in two random colours, so colour carries no
class information. Generation is deterministic for a given seed.

Usage: ``python -m segkit.datasets.demo_data [--root data/demo]``.
"""
import argparse
import json
import os
import os.path as osp
import re
import shutil
import tempfile

import cv2
import numpy as np
from PIL import Image

from segkit.utils.errors import DataError
from segkit.visualization.palette import voc_palette

DEMO_CLASSES = ('background', 'horizontal', 'vertical', 'checker', 'diagonal')
DEMO_PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128]]

_VERSION = 2  # bump whenever the generated content changes
_MARKER = '.complete'
# Every file the generator writes, relative to the root.
_GENERATED = re.compile(r'\.complete|JPEGImages/demo_(train|val)_\d+\.jpg|'
                        r'SegmentationClass/demo_(train|val)_\d+\.png|'
                        r'ImageSets/Segmentation/(train|val)\.txt')


def _background(rng, size):
    """Smooth low-frequency colour blotches (two octaves of upsampled noise)."""
    img = np.zeros((size, size, 3), np.float32)
    for cells, amp in ((rng.integers(2, 5), 1.0), (rng.integers(5, 9), 0.4)):
        grid = rng.uniform(-128, 128, (cells, cells, 3)).astype(np.float32)
        img += amp * cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC)
    return img / 1.4 + rng.uniform(64, 192, 3)


def _pattern(rng, cls, size):
    """Binary texture of class ``cls``: random period, phase and a tilt of up to 15 degrees."""
    y, x = np.mgrid[:size, :size].astype(np.float32)
    tilt = np.deg2rad(rng.uniform(-15, 15))
    u, v = x * np.cos(tilt) + y * np.sin(tilt), y * np.cos(tilt) - x * np.sin(tilt)
    period = rng.uniform(6, 10)
    if cls == 3:
        cell = period / 2
        return (np.floor(u / cell + rng.uniform(0, 2)) + np.floor(v / cell + rng.uniform(0, 2))) % 2 == 1
    coord = {1: v, 2: u}.get(cls, (u + rng.choice((-1, 1)) * v) / np.sqrt(2))
    return (coord + rng.uniform(0, period)) % period < period / 2


def _shape_mask(rng, size):
    """Filled ellipse, rotated rectangle or polygon, 20-60% of the image side."""
    mask = np.zeros((size, size), np.uint8)
    extent = rng.uniform(0.2, 0.6) * size
    cx, cy = rng.uniform(0.1, 0.9, 2) * size
    angle = rng.uniform(0, 180)
    kind = rng.integers(3)
    if kind == 0:
        axes = (round(extent / 2), round(extent / 2 * rng.uniform(0.5, 1)))
        cv2.ellipse(mask, (round(cx), round(cy)), axes, angle, 0, 360, 1, -1)
    else:
        if kind == 1:
            pts = cv2.boxPoints(((cx, cy), (extent, extent * rng.uniform(0.5, 1)), angle))
        else:
            n = rng.integers(3, 7)
            theta = (np.arange(n) + rng.uniform(-0.25, 0.25, n)) * 2 * np.pi / n + angle
            radius = extent / 2 * rng.uniform(0.7, 1, n)
            pts = np.stack([cx + radius * np.cos(theta), cy + radius * np.sin(theta)], 1)
        cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    return mask.astype(bool)


def _two_colours(rng):
    """Two random RGB colours whose difference has a random norm in [40, 120]."""
    diff = rng.normal(size=3)
    diff *= rng.uniform(40, 120) / np.linalg.norm(diff)
    return rng.uniform(60, 195, 3) + np.outer([-0.5, 0.5], diff)


def _sample(rng, classes, size):
    """One (RGB uint8 image, uint8 label) pair with the given object classes."""
    img = _background(rng, size)
    label = np.zeros((size, size), np.uint8)
    for cls in classes:
        mask = _shape_mask(rng, size)
        colours = _two_colours(rng)
        img[mask] = colours[_pattern(rng, cls, size)[mask].astype(int)]
        label[mask] = cls
    img += rng.normal(0, 10, img.shape)
    edges = cv2.morphologyEx(label, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    label[edges > 0] = 255
    return np.clip(np.round(img), 0, 255).astype(np.uint8), label


def _write_split(root, split, num, size, seed):
    """Write ``num`` samples of one split; classes cycle through shuffled 1..4."""
    rng = np.random.default_rng([seed, split == 'val'])
    counts = rng.integers(1, 5, num)
    stream = np.concatenate([rng.permutation(4) + 1 for _ in range(-(-counts.sum() // 4))])
    starts = np.concatenate([[0], np.cumsum(counts)])
    palette = [c for colour in voc_palette() for c in colour]
    ids = [f'demo_{split}_{i:04d}' for i in range(num)]
    for i, name in enumerate(ids):
        img, label = _sample(rng, stream[starts[i]:starts[i + 1]], size)
        cv2.imwrite(osp.join(root, 'JPEGImages', name + '.jpg'), img[..., ::-1],
                    [cv2.IMWRITE_JPEG_QUALITY, 95])
        png = Image.fromarray(label, mode='P')
        png.putpalette(palette)
        png.save(osp.join(root, 'SegmentationClass', name + '.png'))
    with open(osp.join(root, 'ImageSets', 'Segmentation', split + '.txt'), 'w') as f:
        f.write(''.join(n + '\n' for n in ids))


def _is_complete(root, params):
    """Whether ``root`` holds a finished dataset generated with ``params``."""
    try:
        with open(osp.join(root, _MARKER)) as f:
            return json.load(f) == params
    except (OSError, ValueError):
        return False


def _generated_only(root):
    """Whether ``root`` is empty, or holds the marker and only files the generator writes."""
    files = [osp.relpath(osp.join(folder, name), root).replace(os.sep, '/')
             for folder, _, names in os.walk(root) for name in names]
    return not files or (_MARKER in files and all(_GENERATED.fullmatch(f) for f in files))


def prepare_demo_data(root='data/demo', num_train=300, num_val=60, size=128, seed=0):
    """Generate the demo dataset at ``root`` unless a matching one exists; return ``root``.

    Generation happens in a temporary directory beside ``root`` whose marker file
    is written last, and which is then renamed into place, so an interrupted run
    never leaves a half-written dataset behind. Concurrent callers are safe: the
    files are deterministic, and a loser of the final rename keeps the winner's.

    Only a folder this function generated (it holds the marker file and nothing else
    than the generated layout) is ever replaced; any other non-empty ``root`` is refused
    with a :class:`DataError`, so a user's own data given as ``root`` is never deleted.
    """
    params = dict(version=_VERSION, num_train=num_train, num_val=num_val, size=size, seed=seed)
    if _is_complete(root, params):
        return root
    if osp.isdir(root) and not _generated_only(root):
        raise DataError(
            f'{root} holds files that the demo data generator did not write (no {_MARKER} '
            'marker, or other files beside it); it would replace them, so it stops. For your '
            'own data in the VOC layout use PascalVOCDataset; for the demo data choose an empty '
            'or new data_root')
    parent = osp.dirname(osp.abspath(root))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f'.{osp.basename(osp.abspath(root))}.tmp-', dir=parent)
    try:
        for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
            os.makedirs(osp.join(tmp, sub))
        _write_split(tmp, 'train', num_train, size, seed)
        _write_split(tmp, 'val', num_val, size, seed)
        with open(osp.join(tmp, _MARKER), 'w') as f:
            json.dump(params, f)
        try:
            if not _is_complete(root, params):
                if osp.isdir(root):  # stale or unfinished: move aside, then swap in
                    os.rename(root, tmp + '.old')
                os.rename(tmp, root)
        except OSError:
            if not _is_complete(root, params):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(tmp + '.old', ignore_errors=True)
    return root


def _main():
    parser = argparse.ArgumentParser(description='Generate the segkit demo dataset.')
    parser.add_argument('--root', default='data/demo')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    out = prepare_demo_data(args.root, seed=args.seed)
    with open(osp.join(out, _MARKER)) as f:
        p = json.load(f)
    print(f'Demo dataset at {osp.abspath(out)}: {p["num_train"]} train + {p["num_val"]} val images')


if __name__ == '__main__':
    from segkit.utils.cli import run_cli
    run_cli(_main)
