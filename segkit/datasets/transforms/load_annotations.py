"""LoadAnnotations: read a label PNG as class indices and check its values."""
import io
import logging
from typing import Dict, Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log
from PIL import Image

from segkit.registry import TRANSFORMS
from segkit.utils.errors import DataError

from .load_image_from_file import check_complete, read_bytes

INDEX_MODES = ('P', 'L', 'I', 'I;16', 'I;16B', 'I;16L', '1')
_warned_binary = False


def check_label(label: np.ndarray, num_classes: int, ignore_index: int, path: str,
                label_map: Optional[Dict[int, int]] = None) -> None:
    """Fail if a value is neither a class index nor ``ignore_index``, with a hint
    (``label_map``, already applied, is named in the message).

    Costs two vectorised comparisons when every value is valid; the values are counted only
    to write the error. A label holding only 0 and ``ignore_index`` is warned about once.
    """
    if label.max(initial=0) < num_classes:
        return
    ignored = np.count_nonzero(label == ignore_index) if ignore_index >= num_classes else 0
    if np.count_nonzero(label >= num_classes) == ignored:
        if ignored and ignored + np.count_nonzero(label == 0) == label.size:
            _warn_binary(path, ignore_index)
        return
    counts = np.bincount(label.ravel(), minlength=num_classes)
    values = set(np.flatnonzero(counts).tolist())
    bad = sorted(v for v in values if v >= num_classes and v != ignore_index)
    shown = ', '.join(str(v) for v in bad[:8]) + (' ...' if len(bad) > 8 else '')
    if label_map:
        hint = (f'label_map {label_map} does not map them; add them to label_map or '
                'check num_classes')
    elif values <= {0, 255}:
        hint = ("it looks like a binary 0/255 mask: set the dataset's label_map={255: 1} "
                '(with num_classes=2), or ignore_index=255 if 255 marks pixels to ignore')
    elif bad[0] == num_classes:
        hint = ('labels may count from 1 with 0 meaning "other": try reduce_zero_label=True, '
                'or check num_classes')
    else:
        hint = ('check num_classes and reduce_zero_label, and that the PNG holds class indices '
                '(a palette or grayscale PNG), not colours converted to gray')
    raise DataError(f'label {path} has values {shown} outside 0..{num_classes - 1} and '
                    f'ignore_index {ignore_index}; {hint}')


def _warn_binary(path: str, ignore_index: int) -> None:
    """Warn once that a 0/``ignore_index`` label may be a binary mask whose foreground is ignored."""
    global _warned_binary
    if not _warned_binary:
        _warned_binary = True
        print_log(f'label {path} holds only 0 and ignore_index {ignore_index}: if '
                  f'{ignore_index} marks the foreground of a binary mask, it is never learnt '
                  "(set the dataset's label_map={255: 1} with num_classes=2)",
                  logger='current',
                  level=logging.WARNING)


@TRANSFORMS.register_module()
class LoadAnnotations(BaseTransform):
    """Load ``seg_map_path`` as a ``uint8`` class-index map and check it.

    Palette ('P') and grayscale PNGs are read as indices, never as colours; RGB masks are
    converted through the dataset's ``palette`` (colour of class i -> i); the dataset's
    ``label_map`` then maps raw values to class indices; 16-bit labels
    are accepted when their values fit; JPEG labels (lossy) are refused, and so is a
    label for an image stored rotated (EXIF orientation), which may not line up with it.
    With ``reduce_zero_label`` 0 becomes 255 and every other value drops by one. The label
    must match the image size (when the image is loaded first) and, with ``check_labels``, every value must be a class index below
    ``num_classes`` or ``ignore_index`` (when the dataset provides them). A sample without a
    label (``seg_map_path`` None: a test-mode dataset with no ground truth) is passed on.

    Reads ``seg_map_path``, ``reduce_zero_label``, ``label_map``, ``palette``,
    ``num_classes``, ``ignore_index``, ``img_path``, ``ori_shape`` and ``exif_orientation``;
    writes ``gt_seg_map`` and ``seg_fields``.

    Args:
        reduce_zero_label: overrides the dataset's ``reduce_zero_label`` when not None.
        check_labels: check the label values (cheap next to reading the label:
            ``tools/analysis/label_check_overhead.py``).
    """

    def __init__(self, reduce_zero_label: Optional[bool] = None, check_labels: bool = True):
        self.reduce_zero_label = reduce_zero_label
        self.check_labels = check_labels

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        if path is None:
            return results
        label = read_label(path, palette=results.get('palette'))
        reduce_zero_label = self.reduce_zero_label if self.reduce_zero_label is not None \
            else results.get('reduce_zero_label', False)
        if reduce_zero_label:
            label[label == 0] = 255
            label = label - 1
            label[label == 254] = 255
        label_map = results.get('label_map')
        if label_map:
            label = apply_label_map(label, label_map)
        label = to_uint8(label, path)
        orientation = results.get('exif_orientation', 1)
        if orientation != 1:
            (ih, iw), (lh, lw) = results['ori_shape'], label.shape
            raise DataError(
                f"image {results['img_path']} is stored rotated or mirrored (EXIF orientation "
                f'{orientation}) and read upright as {iw}x{ih} (w x h), as viewers show it; its '
                f'label {path} ({lw}x{lh}) has no orientation, so they may not line up. Save '
                'the image upright once (PIL: ImageOps.exif_transpose(image).save(...)), '
                'checking that the label fits it')
        if 'ori_shape' in results and tuple(results['ori_shape']) != label.shape:
            (ih, iw), (lh, lw) = results['ori_shape'], label.shape
            raise DataError(f"image {results['img_path']} is {iw}x{ih} (w x h) but its label "
                            f'{path} is {lw}x{lh}')
        if self.check_labels and 'num_classes' in results:
            check_label(label, results['num_classes'], results.get('ignore_index', 255), path,
                        label_map=label_map)
        results['gt_seg_map'] = label
        results['seg_fields'] = results.get('seg_fields', []) + ['gt_seg_map']
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(reduce_zero_label={self.reduce_zero_label}, '
                f'check_labels={self.check_labels})')


def apply_label_map(label: np.ndarray, label_map: Dict[int, int]) -> np.ndarray:
    """``label`` with each ``label_map`` key replaced by its value (other values kept)."""
    lut = np.arange(max(int(label.max(initial=0)), *label_map) + 1, dtype=np.int64)
    for raw, index in label_map.items():
        lut[raw] = index
    return lut[label]


def to_uint8(label: np.ndarray, path: str) -> np.ndarray:
    """``label`` as uint8; fails naming the file when a value does not fit."""
    if label.dtype == np.uint8:  # most labels: no pass over the pixels
        return label
    if label.max(initial=0) > 255 or label.min(initial=0) < 0:
        raise DataError(f'label {path} has values from {label.min()} to {label.max()}; class '
                        'indices must be in 0..255 (16-bit labels are read when their values '
                        'fit)')
    return label.astype(np.uint8)


def colours_to_indices(rgb: np.ndarray, palette: Sequence[Sequence[int]], path: str) -> np.ndarray:
    """An ``(H, W, 3)`` RGB mask as class indices through ``palette``; fails on a colour
    that is not in it."""
    codes = (rgb[..., 0].astype(np.int64) << 16) | (rgb[..., 1].astype(np.int64) << 8) \
        | rgb[..., 2]
    table = {(r << 16) | (g << 8) | b: i for i, (r, g, b) in enumerate(palette)}
    uniques, inverse = np.unique(codes, return_inverse=True)
    unknown = [int(c) for c in uniques if int(c) not in table]
    if unknown:
        shown = ', '.join(f'({c >> 16}, {(c >> 8) & 255}, {c & 255})' for c in unknown[:4])
        raise DataError(f'label {path} is an RGB mask with colour(s) {shown} that are not in '
                        f'the palette {list(map(list, palette))}; set metainfo palette to '
                        'the colour of each class')
    return np.array([table[int(c)] for c in uniques], dtype=np.uint8)[inverse].reshape(
        codes.shape)


def read_label(path: str, palette: Optional[Sequence[Sequence[int]]] = None) -> np.ndarray:
    """Read a label image as an ``(H, W)`` map of raw values (colour masks converted
    through ``palette``); fail naming the file."""
    buf = read_bytes(path, 'label')
    check_complete(buf, path)
    try:
        pil = Image.open(io.BytesIO(buf))
        pil.load()
    except Exception as e:  # PIL raises several types for bad files
        raise DataError(f'cannot decode label (corrupt or not an image): {path} ({e})') from None
    if pil.format == 'JPEG':
        raise DataError(f'label {path} is a JPEG: lossy compression changes the class indices '
                        'along every edge; save labels as PNG')
    if pil.mode in ('RGB', 'RGBA') and palette:
        return colours_to_indices(np.asarray(pil.convert('RGB')), palette, path)
    if pil.mode not in INDEX_MODES:
        raise DataError(f'label {path} is a {pil.mode} image; expected a palette or grayscale '
                        'PNG of class indices, or an RGB mask with the dataset\'s palette')
    return np.array(pil)
