"""PascalVOCDataset on a generated VOC 2012 tree, alone and with the SBD aug config."""
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from segkit.datasets import PascalVOCDataset
from segkit.datasets.converters import convert_voc_aug
from segkit.registry import DATASETS
from segkit.utils.errors import DataError

from tests.dataset_trees import AUG, VOC_TRAIN, VOC_VAL, make_voc_tree
from tests.helpers import REPO

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]


def voc_dataset(**kwargs) -> PascalVOCDataset:
    return PascalVOCDataset(serialize_data=False, **kwargs)  # mmengine's gc.collect: slow


@pytest.fixture
def voc(tmp_path):
    labels = make_voc_tree(str(tmp_path))
    return str(tmp_path / 'VOCdevkit' / 'VOC2012'), labels


def test_splits_and_palette_labels_as_indices(voc):
    root, labels = voc
    sizes = {split: len(voc_dataset(data_root=root, ann_file=f'ImageSets/Segmentation/{split}.txt'))
             for split in ('train', 'val', 'trainval')}
    assert sizes == dict(train=3, val=2, trainval=5)
    dataset = voc_dataset(data_root=root, ann_file='ImageSets/Segmentation/val.txt',
                          pipeline=PIPELINE)
    assert dataset.metainfo['classes'][0] == 'background' and len(dataset.metainfo['classes']) == 21
    for index, name in enumerate(VOC_VAL):
        sample = dataset[index]
        assert sample['img_path'] == osp.join(root, 'JPEGImages', name + '.jpg')
        assert sample['num_classes'] == 21 and sample['ignore_index'] == 255
        assert sample['reduce_zero_label'] is False
        np.testing.assert_array_equal(sample['gt_seg_map'], labels['voc'][name])


def test_aug_config_matches_the_converter_output(voc):
    root, labels = voc
    devkit = osp.dirname(root)
    convert_voc_aug(devkit, osp.join(devkit, 'benchmark_RELEASE'))
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets', 'pascal_voc12_aug.py'))
    train_cfg = cfg.train_dataloader.dataset
    for part in train_cfg.datasets:
        part.data_root = root
        part.pipeline = PIPELINE
        part.serialize_data = False
    train = DATASETS.build(train_cfg)
    assert len(train) == len(VOC_TRAIN) + len(AUG) == 7
    for index in range(len(VOC_TRAIN), len(train)):
        sample = train[index]
        name = osp.basename(sample['img_path'])[:-4]
        assert name in AUG and 'SegmentationClassAug' in sample['seg_map_path']
        np.testing.assert_array_equal(sample['gt_seg_map'], labels['sbd'][name])


def test_split_list_errors(voc):
    root, _ = voc
    split_dir = osp.join(root, 'ImageSets', 'Segmentation')
    with pytest.raises(DataError, match=r'split list not found: .*aug.txt\. .*voc_aug.py'):
        voc_dataset(data_root=root, ann_file='ImageSets/Segmentation/aug.txt')
    open(osp.join(split_dir, 'empty.txt'), 'w').close()
    with pytest.raises(DataError, match=r'split list is empty: .*empty.txt$'):
        voc_dataset(data_root=root, ann_file='ImageSets/Segmentation/empty.txt')
    with open(osp.join(split_dir, 'bad.txt'), 'w') as f:
        f.write(f'{VOC_TRAIN[0]}\n2099_000001\n')
    with pytest.raises(DataError, match=r'image listed in .*bad.txt not found: .*2099_000001.jpg'):
        voc_dataset(data_root=root, ann_file='ImageSets/Segmentation/bad.txt')
    os.remove(osp.join(root, 'SegmentationClass', VOC_TRAIN[1] + '.png'))
    with pytest.raises(DataError, match=f'label for .*{VOC_TRAIN[1]}.jpg not found: '
                                        f'.*SegmentationClass/{VOC_TRAIN[1]}.png'):
        voc_dataset(data_root=root, ann_file='ImageSets/Segmentation/train.txt')


def test_missing_root_explains_the_download(tmp_path):
    with pytest.raises(DataError, match=r"data root .*nothing' does not exist.*VOCtrainval"):
        voc_dataset(data_root=str(tmp_path / 'nothing'), ann_file='train.txt')
