"""The SBD converter: SegmentationClassAug palette PNGs and MMSegmentation's aug lists."""
import os
import os.path as osp

import numpy as np
import pytest
import scipy.io
from PIL import Image

from segkit.datasets.converters import convert_voc_aug
from segkit.datasets.converters.voc_aug import read_sbd_mat, voc_colormap
from segkit.datasets.pascal_voc_dataset import VOC_PALETTE
from segkit.utils.errors import DataError

from tests.dataset_trees import (AUG, SBD_TRAIN, SBD_VAL, TRAINAUG, VOC_TRAIN, VOC_VAL,
                                 make_voc_tree, save_sbd_mat, sbd_label)


def read_ids(path):
    with open(path) as f:
        return f.read().split()


@pytest.mark.parametrize('nproc', [1, 2])
def test_convert_voc_aug(tmp_path, nproc):
    labels = make_voc_tree(str(tmp_path))
    devkit = str(tmp_path / 'VOCdevkit')
    counts = convert_voc_aug(devkit, osp.join(devkit, 'benchmark_RELEASE'), nproc=nproc)
    assert counts == dict(converted=7, copied=5, aug=4, trainaug=7)

    split_dir = osp.join(devkit, 'VOC2012', 'ImageSets', 'Segmentation')
    assert read_ids(osp.join(split_dir, 'aug.txt')) == AUG
    assert read_ids(osp.join(split_dir, 'trainaug.txt')) == TRAINAUG
    assert len(VOC_TRAIN) + len(AUG) == len(TRAINAUG)

    out_dir = osp.join(devkit, 'VOC2012', 'SegmentationClassAug')
    names = sorted(f[:-4] for f in os.listdir(out_dir))
    assert names == sorted(set(SBD_TRAIN + SBD_VAL + VOC_TRAIN + VOC_VAL))
    for name in names:
        png = Image.open(osp.join(out_dir, name + '.png'))
        assert png.mode == 'P'
        palette = np.array(png.getpalette()).reshape(-1, 3)
        assert palette[:21].tolist() == VOC_PALETTE and palette[255].tolist() == [224, 224, 192]
        # VOC's own labels (with their 255 borders) win over SBD's for the same image.
        expected = labels['voc'][name] if name in labels['voc'] else labels['sbd'][name]
        np.testing.assert_array_equal(np.asarray(png), expected)
    assert '2007_000039' in labels['sbd'] and 255 in np.asarray(
        Image.open(osp.join(out_dir, '2007_000039.png')))


def test_read_sbd_mat_real_layout(tmp_path):
    label = sbd_label(3)
    save_sbd_mat(str(tmp_path / 'a.mat'), label)
    raw = scipy.io.loadmat(str(tmp_path / 'a.mat'))['GTcls']
    assert set(raw.dtype.names) == {'Segmentation', 'Boundaries', 'CategoriesPresent'}
    out = read_sbd_mat(str(tmp_path / 'a.mat'))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, label)


def test_bad_sbd_files(tmp_path):
    scipy.io.savemat(str(tmp_path / 'other.mat'), {'GTinst': {'Segmentation': np.zeros((2, 2))}})
    with pytest.raises(DataError, match=r'cannot read GTcls.Segmentation from SBD file .*other'):
        read_sbd_mat(str(tmp_path / 'other.mat'))
    save_sbd_mat(str(tmp_path / 'big.mat'), np.full((4, 4), 30, np.uint8))
    with pytest.raises(DataError, match=r'big.mat: GTcls.Segmentation must .* values 30..30'):
        read_sbd_mat(str(tmp_path / 'big.mat'))


def test_missing_inputs_are_named(tmp_path):
    make_voc_tree(str(tmp_path))
    devkit = str(tmp_path / 'VOCdevkit')
    with pytest.raises(DataError, match=r'folder not found: .*nowhere/dataset/cls\. .*benchmark'):
        convert_voc_aug(devkit, str(tmp_path / 'nowhere'))
    sbd = osp.join(devkit, 'benchmark_RELEASE')
    os.remove(osp.join(sbd, 'dataset', 'cls', AUG[0] + '.mat'))
    with pytest.raises(DataError, match=f'SBD lists name {AUG[0]!r} but .*{AUG[0]}.mat'):
        convert_voc_aug(devkit, sbd)
    open(osp.join(sbd, 'dataset', 'val.txt'), 'w').close()
    with pytest.raises(DataError, match=r'split list is empty: .*dataset/val.txt'):
        convert_voc_aug(devkit, sbd)


def test_colormap_is_voc():
    cmap = voc_colormap()
    assert cmap.shape == (256, 3) and cmap[:21].tolist() == VOC_PALETTE
