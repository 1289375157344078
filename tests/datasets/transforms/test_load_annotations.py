"""LoadAnnotations reads labels as class indices and checks them, naming the file."""
import cv2
import numpy as np
import pytest
from PIL import Image

from segkit.datasets.transforms import LoadAnnotations, LoadImageFromFile
from segkit.datasets.transforms import load_annotations as load_annotations_module
from segkit.utils.errors import DataError


def save_label(path, label: np.ndarray, palette: bool = False) -> str:
    png = Image.fromarray(label)
    if palette:
        png.putpalette(np.random.default_rng(0).integers(0, 255, 768).tolist())
    png.save(path)
    return str(path)


def load(seg_path, num_classes=21, ignore_index=255, **kwargs) -> dict:
    results = dict(seg_map_path=seg_path, num_classes=num_classes, ignore_index=ignore_index,
                   reduce_zero_label=False)
    return LoadAnnotations(**kwargs)(results)


def test_palette_png_read_as_indices(tmp_path):
    label = np.array([[0, 1, 2], [20, 255, 7]], dtype=np.uint8)
    out = load(save_label(tmp_path / 'p.png', label, palette=True))
    assert out['gt_seg_map'].dtype == np.uint8
    np.testing.assert_array_equal(out['gt_seg_map'], label)
    assert out['seg_fields'] == ['gt_seg_map']


def test_sixteen_bit_label_accepted_when_values_fit(tmp_path):
    label = np.array([[0, 3], [255, 1]], dtype=np.uint16)
    cv2.imwrite(str(tmp_path / 'l16.png'), label)
    np.testing.assert_array_equal(load(str(tmp_path / 'l16.png'))['gt_seg_map'], label)
    cv2.imwrite(str(tmp_path / 'big.png'), np.array([[0, 300]], dtype=np.uint16))
    with pytest.raises(DataError, match=r'big\.png has values from 0 to 300'):
        load(str(tmp_path / 'big.png'))


def test_reduce_zero_label(tmp_path):
    label = np.array([[0, 1, 2, 255]], dtype=np.uint8)
    out = load(save_label(tmp_path / 'z.png', label), num_classes=2, reduce_zero_label=True)
    np.testing.assert_array_equal(out['gt_seg_map'], [[255, 0, 1, 255]])


def test_values_counting_from_one_suggest_reduce_zero_label(tmp_path):
    path = save_label(tmp_path / 'one.png', np.array([[1, 2, 3]], dtype=np.uint8))
    with pytest.raises(DataError) as info:
        load(path, num_classes=3)
    message = str(info.value)
    assert path in message and 'values 3 outside 0..2' in message
    assert 'reduce_zero_label=True' in message and '\n' not in message


def test_binary_mask_with_other_ignore_index(tmp_path):
    path = save_label(tmp_path / 'mask.png', np.array([[0, 255], [255, 0]], dtype=np.uint8))
    with pytest.raises(DataError, match=r'mask\.png has values 255 .*binary 0/255 mask'):
        load(path, num_classes=2, ignore_index=254)


def test_colour_values_suggest_index_png(tmp_path):
    path = save_label(tmp_path / 'gray.png', np.array([[0, 38, 75, 113, 255]], dtype=np.uint8))
    with pytest.raises(DataError, match=r'values 38, 75, 113 outside 0\.\.20 .*not colours'):
        load(path)


def test_binary_mask_whose_foreground_is_ignored_is_warned_once(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr(load_annotations_module, 'print_log', lambda msg, **kw: logged.append(msg))
    monkeypatch.setattr(load_annotations_module, '_warned_binary', False)
    path = save_label(tmp_path / 'mask.png', np.array([[0, 255], [255, 0]], dtype=np.uint8))
    load(path, num_classes=2)
    load(path, num_classes=2)
    assert len(logged) == 1 and 'mask.png holds only 0 and ignore_index 255' in logged[0]
    load(save_label(tmp_path / 'ok.png', np.array([[0, 1, 255]], dtype=np.uint8)), num_classes=2)
    assert len(logged) == 1


def test_check_can_be_switched_off(tmp_path):
    path = save_label(tmp_path / 'bad.png', np.array([[0, 40]], dtype=np.uint8))
    assert load(path, check_labels=False)['gt_seg_map'].max() == 40


def test_rgb_label_rejected(tmp_path):
    path = str(tmp_path / 'rgb.png')
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(path)
    with pytest.raises(DataError, match=r'rgb\.png is a RGB image; expected a palette'):
        load(path)


def test_size_mismatch_names_both_files_and_sizes(tmp_path):
    img_path = str(tmp_path / 'img.png')
    cv2.imwrite(img_path, np.zeros((10, 12, 3), np.uint8))
    seg_path = save_label(tmp_path / 'seg.png', np.zeros((12, 10), np.uint8))
    results = LoadImageFromFile()(dict(img_path=img_path, seg_map_path=seg_path,
                                       num_classes=2, ignore_index=255))
    with pytest.raises(DataError) as info:
        LoadAnnotations()(results)
    assert str(info.value) == (f'image {img_path} is 12x10 (w x h) but its label {seg_path} '
                               'is 10x12')


def test_truncated_corrupt_empty_and_missing_labels(tmp_path):
    good = save_label(tmp_path / 'good.png', np.zeros((64, 64), np.uint8))
    data = open(good, 'rb').read()
    (tmp_path / 'cut.png').write_bytes(data[:len(data) // 2])
    (tmp_path / 'junk.png').write_bytes(b'not an image at all')
    (tmp_path / 'empty.png').write_bytes(b'')
    for name, message in (('cut.png', 'truncated PNG'), ('junk.png', 'cannot decode label'),
                          ('empty.png', 'empty file'), ('missing.png', 'label not found')):
        with pytest.raises(DataError, match=message) as info:
            load(str(tmp_path / name))
        assert str(tmp_path / name) in str(info.value)


def test_sample_without_label_is_passed_on():
    results = LoadAnnotations()(dict(seg_map_path=None, img_path='x.png'))
    assert 'gt_seg_map' not in results
