"""LoadImageFromFile: read an image as a BGR uint8 array, with clear errors."""
import io

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from segkit.registry import TRANSFORMS
from segkit.utils.errors import DataError


def read_bytes(path: str, what: str) -> bytes:
    """Read a file, failing with a message that names it."""
    try:
        with open(path, 'rb') as f:
            return f.read()
    except FileNotFoundError:
        raise DataError(f'{what} not found: {path}') from None
    except OSError as e:
        raise DataError(f'cannot read {what} {path}: {e.strerror}') from None


def exif_orientation(buf: bytes) -> int:
    """The EXIF orientation of an encoded image (1, upright, when it has none)."""
    try:
        return int(Image.open(io.BytesIO(buf)).getexif().get(0x0112, 1))
    except Exception:  # not an image PIL reads, or broken EXIF: OpenCV decides
        return 1


def check_complete(buf: bytes, path: str) -> None:
    """Reject empty files and JPEG or PNG files cut short (decoders fill the missing rows).

    A JPEG is complete when an end-of-image marker follows its last start-of-scan marker
    (entropy-coded data cannot hold one), so data appended after the image is accepted.
    """
    if not buf:
        raise DataError(f'empty file (0 bytes): {path}')
    if buf[:2] == b'\xff\xd8' and buf.find(b'\xff\xd9', max(buf.rfind(b'\xff\xda'), 0)) < 0:
        raise DataError(f'truncated JPEG (no end-of-image marker after the last scan): {path}')
    if buf[:8] == b'\x89PNG\r\n\x1a\n' and b'IEND' not in buf[-16:]:
        raise DataError(f'truncated PNG (no IEND chunk): {path}')


@TRANSFORMS.register_module()
class LoadImageFromFile(BaseTransform):
    """Load ``img_path`` as a 3-channel BGR uint8 image (grayscale and RGBA converted).

    A photo stored rotated (EXIF orientation, as phones save them) is turned upright, as
    image viewers show it; its orientation is kept for :class:`LoadAnnotations`.

    Reads ``img_path``; writes ``img``, ``img_shape``, ``ori_shape`` and
    ``exif_orientation``.

    Args:
        to_float32: convert the image to float32.
    """

    def __init__(self, to_float32: bool = False):
        self.to_float32 = to_float32

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        buf = read_bytes(path, 'image')
        check_complete(buf, path)
        img = cv2.imdecode(np.frombuffer(buf, dtype=np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            raise DataError(f'cannot decode image (corrupt or not an image): {path}')
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        results['exif_orientation'] = exif_orientation(buf)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(to_float32={self.to_float32})'


