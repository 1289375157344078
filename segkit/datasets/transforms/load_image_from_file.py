"""LoadImageFromFile: read an image as a BGR uint8 array (or as stored), with clear errors."""
import io

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from segkit.registry import TRANSFORMS
from segkit.utils.errors import ConfigError, DataError

COLOR_TYPES = {'color': cv2.IMREAD_COLOR, 'grayscale': cv2.IMREAD_GRAYSCALE,
               'unchanged': cv2.IMREAD_UNCHANGED}
BACKENDS = ('cv2', 'tifffile')


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


def decode_tiff(buf: bytes, path: str) -> np.ndarray:
    """A TIFF as ``(H, W)`` or ``(H, W, C)`` in its stored depth; planar (channels-first)
    files are moved to channels-last."""
    import tifffile
    try:
        with tifffile.TiffFile(io.BytesIO(buf)) as tif:
            series = tif.series[0]
            img, axes = series.asarray(), series.axes
    except Exception as e:  # tifffile raises several types for bad files
        raise DataError(f'cannot decode TIFF (corrupt or not a TIFF): {path} ({e})') from None
    if img.ndim == 3 and axes[0] in 'SC' and axes[-1] not in 'SC':
        img = np.moveaxis(img, 0, -1)
    if img.ndim not in (2, 3):
        raise DataError(f'TIFF {path} has shape {img.shape} (axes {axes}); expected one '
                        'image of (height, width[, channels])')
    return np.ascontiguousarray(img)


def decode_image(buf: bytes, path: str, color_type: str = 'color',
                 backend: str = 'cv2') -> np.ndarray:
    """Decode an image file's bytes: ``'color'`` gives 3-channel BGR uint8, ``'grayscale'``
    one uint8 channel, ``'unchanged'`` the stored depth (8/16-bit, float) and channels."""
    if backend == 'tifffile':
        img = decode_tiff(buf, path)
        if color_type == 'unchanged':
            return img
        if (img.ndim == 3 and img.shape[2] not in (3, 4)) or img.dtype != np.uint8:
            raise DataError(f'image {path} is {img.dtype} with {_channels(img)} channel(s): '
                            f"read it with color_type='unchanged'")
        code = cv2.COLOR_GRAY2BGR if img.ndim == 2 else cv2.COLOR_RGB2BGR
        img = cv2.cvtColor(img[..., :3] if img.ndim == 3 else img, code)
        return img if color_type == 'color' else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    img = cv2.imdecode(np.frombuffer(buf, dtype=np.uint8), COLOR_TYPES[color_type])
    if img is None:
        raise DataError(f'cannot decode image (corrupt or not an image): {path}')
    return img


def _channels(img: np.ndarray) -> int:
    return 1 if img.ndim == 2 else img.shape[2]


@TRANSFORMS.register_module()
class LoadImageFromFile(BaseTransform):
    """Load ``img_path`` as a 3-channel BGR uint8 image (grayscale and RGBA converted), or
    as stored.

    ``color_type='unchanged'`` keeps the file's depth and channels: a 16-bit PNG or TIFF
    stays uint16, a 4-channel image keeps 4 channels (OpenCV's order: BGR(A) for PNG).
    ``imdecode_backend='tifffile'`` reads TIFFs of any band count (multispectral, planar
    or interleaved, channels last) as MMSegmentation does; give it with
    ``color_type='unchanged'`` to keep every band and the depth.

    A photo stored rotated (EXIF orientation, as phones save them) is turned upright, as
    image viewers show it; its orientation is kept for :class:`LoadAnnotations`.

    Reads ``img_path``; writes ``img``, ``img_shape``, ``ori_shape`` and
    ``exif_orientation``.

    Args:
        to_float32: convert the image to float32.
        color_type: 'color', 'grayscale' or 'unchanged'.
        imdecode_backend: 'cv2' or 'tifffile'.
    """

    def __init__(self, to_float32: bool = False, color_type: str = 'color',
                 imdecode_backend: str = 'cv2'):
        if color_type not in COLOR_TYPES:
            raise ConfigError(f'LoadImageFromFile color_type {color_type!r}: expected one of '
                              f'{tuple(COLOR_TYPES)}')
        if imdecode_backend not in BACKENDS:
            raise ConfigError(f'LoadImageFromFile imdecode_backend {imdecode_backend!r}: '
                              f'expected one of {BACKENDS}')
        self.to_float32 = to_float32
        self.color_type = color_type
        self.imdecode_backend = imdecode_backend

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        buf = read_bytes(path, 'image')
        check_complete(buf, path)
        img = decode_image(buf, path, self.color_type, self.imdecode_backend)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        results['exif_orientation'] = exif_orientation(buf)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(to_float32={self.to_float32}, color_type='
                f'{self.color_type!r}, imdecode_backend={self.imdecode_backend!r})')


