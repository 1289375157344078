"""Built-in synthetic demo dataset in the PASCAL VOC layout.

Five classes: background plus four foreground classes that are defined only by
their texture (horizontal stripes, vertical stripes, checkerboard, diagonal
stripes). Every object is painted in two random colours, so colour carries no
class information. Generation is deterministic for a given seed.

Usage: ``python -m segkit.datasets.demo_data [--root data/demo]``.
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import shutil
import tempfile

import cv2
import numpy as np
from mmengine.logging import print_log
from PIL import Image

from segkit.utils.errors import DataError
from segkit.visualization.palette import voc_palette

DEMO_CLASSES = ('background', 'horizontal', 'vertical', 'checker', 'diagonal')
DEMO_PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128]]

_VERSION = 2  # bump whenever the generated content changes
# Written last: the settings, and the name and SHA-256 of every file written before it.
_MARKER = '.complete'
_SETTINGS = ('version', 'num_train', 'num_val', 'size', 'seed')


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


def _read_marker(root):
    """The marker of ``root`` as a dict, or None when it is missing or unreadable."""
    try:
        with open(osp.join(root, _MARKER)) as f:
            marker = json.load(f)
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def _is_complete(root, params):
    """Whether ``root`` holds a finished dataset generated with ``params``."""
    marker = _read_marker(root)
    return marker is not None and {k: marker.get(k) for k in _SETTINGS} == params


def _sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def _all_files(root):
    """Every file under ``root``, relative to it, with '/' separators, sorted."""
    return sorted(osp.relpath(osp.join(folder, name), root).replace(os.sep, '/')
                  for folder, _, names in os.walk(root) for name in names)


def _foreign_files(root):
    """Why files under ``root`` are not all the generator's (names the first few), or ''.

    Only the files the marker lists, with the content it records, are the generator's.
    """
    files = _all_files(root)
    if not files:
        return ''
    marker = _read_marker(root)
    if marker is None:
        return f'no {_MARKER} marker'
    written = marker.get('files')
    if not isinstance(written, dict):
        return f'its {_MARKER} marker, from an older segkit, does not list the files it wrote'
    foreign = [f'{name} added' if name not in written else f'{name} changed'
               for name in files if name != _MARKER
               and (name not in written or _sha256(osp.join(root, name)) != written[name])]
    if not foreign:
        return ''
    return ', '.join(foreign[:3]) + (f' (+{len(foreign) - 3} more)' if len(foreign) > 3 else '')


def _remove_generated(root):
    """Delete the files the marker of ``root`` lists (marker last), then empty folders."""
    for name in _read_marker(root)['files']:
        path = osp.join(root, name)
        if osp.isfile(path):
            os.remove(path)
    os.remove(osp.join(root, _MARKER))
    for folder, _, _ in sorted(os.walk(root), key=lambda w: -len(w[0])):
        if folder != root and not os.listdir(folder):
            os.rmdir(folder)


def prepare_demo_data(root='data/demo', num_train=300, num_val=60, size=128, seed=0):
    """Generate the demo dataset at ``root`` unless a matching one exists; return ``root``.

    Generation happens in a temporary directory beside ``root`` whose marker file
    is written last, and which is then renamed into place, so an interrupted run
    never leaves a half-written dataset behind. Concurrent callers are safe: the
    files are deterministic, and a loser of the final rename keeps the winner's.

    The marker lists every file written, with its SHA-256. A folder generated with other
    settings is replaced only when it holds exactly the files its marker lists, unchanged;
    any other non-empty ``root`` (a user's own files, a generated file edited or replaced,
    a marker copied along with other files) is refused with a :class:`DataError`, so a file
    the generator did not write is never overwritten or deleted.
    """
    params = dict(version=_VERSION, num_train=num_train, num_val=num_val, size=size, seed=seed)
    if _is_complete(root, params):
        return root
    if osp.isdir(root):
        foreign = _foreign_files(root)
        if foreign:
            raise DataError(
                f'{root} holds files that the demo data generator did not write ({foreign}); '
                'generating the demo data there would replace them, so it stops. For your own '
                'data in the VOC layout use PascalVOCDataset; for the demo data choose an '
                'empty or new data_root')
    where = osp.abspath(root)
    relative = '' if osp.isabs(root) else f' ({root} relative to the current folder)'
    print_log(f'generating the demo data ({num_train} train + {num_val} val images of '
              f'{size}x{size}) in {where}{relative}', logger='current')
    parent = osp.dirname(where)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f'.{osp.basename(where)}.tmp-', dir=parent)
    try:
        for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
            os.makedirs(osp.join(tmp, sub))
        _write_split(tmp, 'train', num_train, size, seed)
        _write_split(tmp, 'val', num_val, size, seed)
        files = {name: _sha256(osp.join(tmp, name)) for name in _all_files(tmp)}
        with open(osp.join(tmp, _MARKER), 'w') as f:
            json.dump(dict(params, files=files), f)
        try:
            if not _is_complete(root, params):
                if osp.isdir(root) and _all_files(root):  # checked above: only generated files
                    _remove_generated(root)
                os.rename(tmp, root)  # onto a missing or empty folder only
        except OSError:
            if not _is_complete(root, params):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
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
