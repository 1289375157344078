"""CityscapesDataset on a generated Cityscapes tree after the converter."""
import os.path as osp

import numpy as np
import pytest

from segkit.datasets import CityscapesDataset
from segkit.datasets.converters import convert_cityscapes
from segkit.utils.errors import DataError

from tests.dataset_trees import make_cityscapes_tree

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]


def cityscapes_dataset(**kwargs) -> CityscapesDataset:
    return CityscapesDataset(serialize_data=False, **kwargs)  # mmengine's gc.collect: slow


@pytest.fixture
def cityscapes(tmp_path):
    expected = make_cityscapes_tree(str(tmp_path))
    return str(tmp_path / 'cityscapes'), expected


def prefix(split):
    return dict(img_path=f'leftImg8bit/{split}', seg_map_path=f'gtFine/{split}')


def test_scan_and_split_list_give_the_same_samples(cityscapes):
    root, expected = cityscapes
    convert_cityscapes(root)
    scanned = cityscapes_dataset(data_root=root, data_prefix=prefix('train'), pipeline=PIPELINE)
    listed = cityscapes_dataset(data_root=root, data_prefix=prefix('train'), ann_file='train.txt',
                               pipeline=PIPELINE)
    assert len(scanned) == len(listed) == 3
    assert len(cityscapes_dataset(data_root=root, data_prefix=prefix('val'))) == 2
    for index in range(3):
        a, b = scanned[index], listed[index]
        assert a['img_path'] == b['img_path'] and a['img_path'].endswith('_leftImg8bit.png')
        assert a['seg_map_path'].endswith('_gtFine_labelTrainIds.png')
        assert a['num_classes'] == 19 and a['ignore_index'] == 255
        city = osp.basename(osp.dirname(a['img_path']))
        frame = osp.basename(a['img_path'])[:-len('_leftImg8bit.png')]
        np.testing.assert_array_equal(a['gt_seg_map'], expected[f'train/{city}/{frame}'])


def test_unconverted_labels_point_to_the_converter(cityscapes):
    root, _ = cityscapes
    with pytest.raises(DataError, match=r'label for .*_leftImg8bit.png not found: '
                                        r'.*_gtFine_labelTrainIds.png\. .*cityscapes.py'):
        cityscapes_dataset(data_root=root, data_prefix=prefix('train'))


def test_test_mode_without_labels(cityscapes):
    root, _ = cityscapes
    dataset = cityscapes_dataset(data_root=root, data_prefix=prefix('test'), test_mode=True,
                                pipeline=PIPELINE)
    assert len(dataset) == 1 and dataset[0]['seg_map_path'] is None
    assert 'gt_seg_map' not in dataset[0] and dataset[0]['img'].shape == (32, 64, 3)
