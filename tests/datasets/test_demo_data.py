import json
import os

import numpy as np
import pytest
from PIL import Image

from segkit.datasets.demo_data import DEMO_CLASSES, DEMO_PALETTE, prepare_demo_data
from segkit.utils.errors import DataError

SMALL = dict(num_train=8, num_val=4, size=64)


def _files(root):
    """Relative path -> bytes for every file of a dataset."""
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            out[os.path.relpath(p, root)] = open(p, 'rb').read()
    return out


def _labels(root, split):
    ids = open(root / 'ImageSets/Segmentation' / f'{split}.txt').read().split()
    return [Image.open(root / 'SegmentationClass' / f'{i}.png') for i in ids]


@pytest.fixture
def demo(tmp_path):
    return tmp_path / 'demo', prepare_demo_data(str(tmp_path / 'demo'), **SMALL)


def test_constants():
    assert DEMO_CLASSES == ('background', 'horizontal', 'vertical', 'checker', 'diagonal')
    assert len(DEMO_PALETTE) == 5 and DEMO_PALETTE[1] == [128, 0, 0]


def test_layout(demo):
    root, ret = demo
    assert ret == str(root)
    for split, num in (('train', 8), ('val', 4)):
        ids = (root / 'ImageSets/Segmentation' / f'{split}.txt').read_text().splitlines()
        assert ids == [f'demo_{split}_{i:04d}' for i in range(num)]
        for i in ids:
            img = Image.open(root / 'JPEGImages' / f'{i}.jpg')
            assert img.format == 'JPEG' and img.mode == 'RGB' and img.size == (64, 64)
            assert (root / 'SegmentationClass' / f'{i}.png').is_file()
    assert sorted(p.name for p in root.parent.iterdir()) == ['demo']  # no temp dirs left


def test_labels(demo):
    root, _ = demo
    present = set()
    for split in ('train', 'val'):
        for lab in _labels(root, split):
            assert lab.mode == 'P' and lab.size == (64, 64)
            assert lab.getpalette()[:15] == sum(DEMO_PALETTE, [])
            arr = np.array(lab)
            assert set(np.unique(arr)) <= {0, 1, 2, 3, 4, 255}
            assert (arr == 255).any()  # ignore band along object boundaries
            present |= set(np.unique(arr).tolist())
    assert present == {0, 1, 2, 3, 4, 255}


def test_every_class_in_both_splits(tmp_path):
    root = prepare_demo_data(str(tmp_path / 'demo'), num_train=40, num_val=20, size=64)
    for split in ('train', 'val'):
        labels = np.stack([np.array(lab) for lab in _labels(tmp_path / 'demo', split)])
        frac = np.bincount(labels.ravel(), minlength=256)[1:5] / labels.size
        assert frac.min() > 0.2 * frac.max(), (root, split, frac)


def test_deterministic(tmp_path):
    a = _files(prepare_demo_data(str(tmp_path / 'a'), **SMALL))
    b = _files(prepare_demo_data(str(tmp_path / 'b'), **SMALL))
    assert a == b and len(a) == 2 * 12 + 3
    c = _files(prepare_demo_data(str(tmp_path / 'c'), seed=1, **SMALL))
    assert c['JPEGImages/demo_train_0000.jpg'] != a['JPEGImages/demo_train_0000.jpg']


def test_existing_dataset_not_regenerated(demo):
    root, _ = demo
    png = root / 'SegmentationClass/demo_train_0000.png'
    os.utime(png, (0, 0))
    prepare_demo_data(str(root), **SMALL)
    assert png.stat().st_mtime == 0


def test_changed_parameters_regenerate(demo):
    root, _ = demo
    prepare_demo_data(str(root), **dict(SMALL, num_val=2))
    assert json.loads((root / '.complete').read_text())['num_val'] == 2
    assert len(os.listdir(root / 'JPEGImages')) == 10
    assert sorted(p.name for p in root.parent.iterdir()) == ['demo']


def test_a_folder_it_did_not_generate_is_kept(tmp_path):
    """A user's own VOC-layout data given as root is refused, never replaced."""
    root = tmp_path / 'mine'
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        (root / sub).mkdir(parents=True)
    (root / 'JPEGImages/photo.jpg').write_bytes(b'my photo')
    (root / 'ImageSets/Segmentation/train.txt').write_text('photo\n')
    before = _files(root)
    with pytest.raises(DataError) as info:
        prepare_demo_data(str(root), **SMALL)
    assert str(info.value) == (
        f'{root} holds files that the demo data generator did not write (no .complete marker); '
        'generating the demo data there would replace them, so it stops. For your own data in '
        'the VOC layout use PascalVOCDataset; for the demo data choose an empty or new '
        'data_root')
    assert _files(root) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ['mine']


def test_interrupted_generation_leaves_nothing(tmp_path, monkeypatch):
    import segkit.datasets.demo_data as demo_data

    def boom(*args):
        raise KeyboardInterrupt
    monkeypatch.setattr(demo_data, '_write_split', boom)
    with pytest.raises(KeyboardInterrupt):
        prepare_demo_data(str(tmp_path / 'demo'), **SMALL)
    assert list(tmp_path.iterdir()) == []


def test_refuses_foreign_directory(tmp_path):
    (tmp_path / 'demo').mkdir()
    (tmp_path / 'demo/notes.txt').write_text('mine')
    with pytest.raises(DataError):
        prepare_demo_data(str(tmp_path / 'demo'), **SMALL)
    assert (tmp_path / 'demo/notes.txt').read_text() == 'mine'


def test_extra_files_in_a_generated_folder_are_kept(demo):
    root, _ = demo
    (root / 'JPEGImages/my_photo.jpg').write_bytes(b'mine')
    with pytest.raises(DataError):
        prepare_demo_data(str(root), **dict(SMALL, num_val=2))
    assert (root / 'JPEGImages/my_photo.jpg').read_bytes() == b'mine'


def test_concurrent_generation(tmp_path):
    from concurrent.futures import ThreadPoolExecutor
    root = str(tmp_path / 'demo')
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda _: prepare_demo_data(root, **SMALL), range(4))) == [root] * 4
    assert _files(root) == _files(prepare_demo_data(str(tmp_path / 'ref'), **SMALL))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['demo', 'ref']
