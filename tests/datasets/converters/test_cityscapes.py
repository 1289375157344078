"""The Cityscapes converter: train-id PNGs from polygons (or label ids) and split lists."""
import json
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from segkit.datasets.converters import convert_cityscapes
from segkit.datasets.cityscapes_labels import label_id_to_train_id, train_id_to_label_id
from segkit.datasets.cityscapes_dataset import CITYSCAPES_CLASSES
from segkit.utils.errors import DataError

from tests.dataset_trees import make_cityscapes_tree


@pytest.mark.parametrize('nproc', [1, 2])
def test_convert_cityscapes(tmp_path, nproc):
    expected = make_cityscapes_tree(str(tmp_path))
    root = str(tmp_path / 'cityscapes')
    counts = convert_cityscapes(root, nproc=nproc)
    assert counts == dict(from_polygons=5, from_label_ids=1,
                          splits=dict(test=1, train=3, val=2))
    for key, train_ids in expected.items():
        split, city, frame = key.split('/')
        path = osp.join(root, 'gtFine', split, city, frame + '_gtFine_labelTrainIds.png')
        np.testing.assert_array_equal(np.asarray(Image.open(path)), train_ids, err_msg=key)
    # road, building, sky, person, car; parking, ego vehicle and unlabeled ignored; the
    # license plate is not drawn (the car stays under it) and 'cargroup' counts as car.
    train = expected['train/aachen/aachen_000000_000019']
    assert sorted(np.unique(train).tolist()) == [0, 2, 10, 11, 13, 255]
    assert train[21, 10] == 13
    with open(osp.join(root, 'train.txt')) as f:
        assert f.read().split() == ['aachen/aachen_000000_000019', 'aachen/aachen_000001_000019',
                                    'bochum/bochum_000000_000313']
    with open(osp.join(root, 'val.txt')) as f:
        assert f.read().split() == ['frankfurt/frankfurt_000000_000294',
                                    'frankfurt/frankfurt_000000_000576']


@pytest.mark.parametrize('nproc', [1, 2])
def test_unknown_polygon_label_fails_naming_the_file(tmp_path, nproc):
    make_cityscapes_tree(str(tmp_path))
    path = tmp_path / 'cityscapes/gtFine/val/frankfurt/frankfurt_000000_000294_gtFine_polygons.json'
    polygons = json.loads(path.read_text())
    polygons['objects'].append(dict(label='spaceship', polygon=[[0, 0], [3, 0], [3, 3]]))
    path.write_text(json.dumps(polygons))
    with pytest.raises(DataError, match=f"cannot convert {path}: ERROR: Label 'spaceship' not"):
        convert_cityscapes(str(tmp_path / 'cityscapes'), nproc=nproc)


def test_missing_gt_folder(tmp_path):
    with pytest.raises(DataError, match=r'folder not found: .*gtFine\. Download gtFine_trainvaltest'):
        convert_cityscapes(str(tmp_path))
    (tmp_path / 'gtFine' / 'train').mkdir(parents=True)
    with pytest.raises(DataError, match=r'no \*_gtFine_polygons.json or \*_gtFine_labelIds.png'):
        convert_cityscapes(str(tmp_path))


def test_id_tables_round_trip():
    to_train, to_id = label_id_to_train_id(), train_id_to_label_id()
    assert (to_train[to_id[:len(CITYSCAPES_CLASSES)]] == np.arange(19)).all()
    assert to_train[7] == 0 and to_train[33] == 18 and to_train[0] == to_train[9] == 255
