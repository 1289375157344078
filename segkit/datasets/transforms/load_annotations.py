"""LoadAnnotations: read a label PNG as class indices and check its values."""
import io

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from segkit.registry import TRANSFORMS
from segkit.utils.errors import DataError

from .load_image_from_file import check_complete, read_bytes


def check_label(label: np.ndarray, num_classes: int, ignore_index: int, path: str) -> None:
    """Fail if a value is neither a class index nor ``ignore_index``, with a hint."""
    counts = np.bincount(label.ravel(), minlength=num_classes)
    bad = [v for v in np.flatnonzero(counts[num_classes:]) + num_classes if v != ignore_index]
    if not bad:
        return
    shown = ', '.join(str(v) for v in bad[:8]) + (' ...' if len(bad) > 8 else '')
    values = set(np.flatnonzero(counts).tolist())
    if values <= {0, 255}:
        hint = ('it looks like a binary 0/255 mask: map the foreground to 1 (and set '
                'num_classes=2) or mark it ignore')
    elif max(bad) == num_classes:
        hint = ('labels may count from 1 with 0 as "other": try reduce_zero_label=True, or '
                'check num_classes')
    else:
        hint = ('check num_classes, reduce_zero_label, and that the PNG holds class indices '
                '(a palette or grayscale PNG), not colours')
    raise DataError(f'label {path} has values {shown} outside 0..{num_classes - 1} and '
                    f'ignore_index {ignore_index}; {hint}')


@TRANSFORMS.register_module()
class LoadAnnotations(BaseTransform):
    """Load ``seg_map_path`` as a ``uint8`` class-index map and check it.

    Palette ('P') and grayscale PNGs are read as indices, never as colours; 16-bit labels
    are accepted when their values fit. With ``reduce_zero_label`` 0 becomes 255 and every
    other value drops by one. Values are checked against ``num_classes`` and
    ``ignore_index`` when the dataset provides them, and the label must match the image size.

    Reads ``seg_map_path``, ``reduce_zero_label``, ``num_classes``, ``ignore_index`` and
    ``ori_shape`` (if the image is loaded); writes ``gt_seg_map`` and ``seg_fields``.

    Args:
        reduce_zero_label: overrides the dataset's ``reduce_zero_label`` when not None.
    """

    def __init__(self, reduce_zero_label: bool = None):
        self.reduce_zero_label = reduce_zero_label

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        buf = read_bytes(path, 'label')
        check_complete(buf, path)
        try:
            pil = Image.open(io.BytesIO(buf))
            pil.load()
        except Exception as e:  # PIL raises several types for bad files
            raise DataError(f'cannot decode label (corrupt or not an image): {path} ({e})') from None
        if pil.mode not in ('P', 'L', 'I', 'I;16', 'I;16B', 'I;16L', '1'):
            raise DataError(f'label {path} is a {pil.mode} image; expected a palette or grayscale '
                            'PNG of class indices (convert colour labels to indices first)')
        label = np.asarray(pil)
        if label.max(initial=0) > 255:
            raise DataError(f'label {path} has values up to {label.max()}; class indices must be '
                            '< 256 (16-bit labels are read only when their values fit)')
        label = label.astype(np.uint8)
        reduce_zero_label = self.reduce_zero_label if self.reduce_zero_label is not None \
            else results.get('reduce_zero_label', False)
        if reduce_zero_label:
            label = label.copy()
            label[label == 0] = 255
            label = label - 1
            label[label == 254] = 255
        if 'ori_shape' in results and tuple(results['ori_shape']) != label.shape:
            raise DataError(f"image {results['img_path']} is {tuple(results['ori_shape'])} (h, w) "
                            f'but its label {path} is {label.shape}')
        if 'num_classes' in results:
            check_label(label, results['num_classes'], results.get('ignore_index', 255), path)
        results['gt_seg_map'] = label
        results['seg_fields'] = results.get('seg_fields', []) + ['gt_seg_map']
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(reduce_zero_label={self.reduce_zero_label})'
