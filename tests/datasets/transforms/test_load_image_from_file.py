"""LoadImageFromFile fails on truncated, corrupt, empty or missing images, naming the file."""
import cv2
import numpy as np
import pytest

from segkit.datasets.transforms import LoadImageFromFile
from segkit.utils.errors import DataError


def jpeg_bytes(size=(48, 64)) -> bytes:
    img = np.random.default_rng(0).integers(0, 255, (*size, 3), dtype=np.uint8)
    return cv2.imencode('.jpg', img)[1].tobytes()


def load(path) -> dict:
    return LoadImageFromFile()(dict(img_path=str(path)))


def test_loads_bgr_and_shapes(tmp_path):
    (tmp_path / 'a.jpg').write_bytes(jpeg_bytes())
    out = load(tmp_path / 'a.jpg')
    assert out['img'].shape == (48, 64, 3) and out['img'].dtype == np.uint8
    assert out['img_shape'] == out['ori_shape'] == (48, 64)


def test_jpeg_with_data_after_the_end_marker_is_accepted(tmp_path):
    (tmp_path / 'tail.jpg').write_bytes(jpeg_bytes() + b'trailing camera data')
    assert load(tmp_path / 'tail.jpg')['img'].shape == (48, 64, 3)


@pytest.mark.parametrize('name,content,message', [
    ('cut.jpg', jpeg_bytes()[:-200], 'truncated JPEG'),
    ('junk.jpg', b'\x00\x01garbage', 'cannot decode image'),
    ('empty.jpg', b'', 'empty file'),
])
def test_bad_images_fail_naming_the_file(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(DataError, match=message) as info:
        load(tmp_path / name)
    assert str(tmp_path / name) in str(info.value)


def test_missing_image(tmp_path):
    with pytest.raises(DataError, match='image not found: .*nope.jpg'):
        load(tmp_path / 'nope.jpg')
