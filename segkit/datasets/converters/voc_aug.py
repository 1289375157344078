"""SBD (Semantic Boundaries Dataset) -> VOC 2012 ``SegmentationClassAug`` and split lists.

The lists follow MMSegmentation's ``tools/dataset_converters/voc_aug.py``:

- ``aug.txt`` = (SBD train + SBD val) - (VOC train + VOC val): 9118 ids with the full data,
  so VOC train (1464) + aug gives the 10582 training images of the "VOC aug" benchmark;
- ``trainaug.txt`` = (VOC train + SBD train + SBD val) - VOC val: the same 10582 ids in one
  list.

``SegmentationClassAug`` holds every SBD label as a VOC palette PNG, then VOC's own
``SegmentationClass`` labels copied over it (they win where both exist), so both lists can
be read from it.
"""
import functools
import os
import os.path as osp
import shutil

import numpy as np
from PIL import Image
from scipy.io import loadmat
from scipy.io.matlab import MatReadError

from segkit.utils.errors import DataError
from segkit.utils.unreadable import why_unreadable

from ..base_seg_dataset import read_split_list
from .parallel import map_with_progress

SBD_HINT = ('Download SBD (benchmark.tgz, "Semantic Boundaries Dataset and Benchmark", '
            'Hariharan et al. 2011) and extract it into data/VOCdevkit, giving '
            'data/VOCdevkit/benchmark_RELEASE/dataset/{cls,train.txt,val.txt}.')
VOC_HINT = ('Download VOCtrainval_11-May-2012.tar (PASCAL VOC 2012) and extract it into data/, '
            'giving data/VOCdevkit/VOC2012.')
NUM_VOC_CLASSES = 21
FULL_TRAINAUG_SIZE = 10582


def voc_colormap(num_colors: int = 256) -> np.ndarray:
    """The PASCAL VOC colour map (``(num_colors, 3)`` uint8): 0 black, 255 (ignore) cream."""
    cmap = np.zeros((num_colors, 3), dtype=np.uint8)
    for index in range(num_colors):
        code = index
        for bit in range(8):
            for channel in range(3):
                cmap[index, channel] |= ((code >> channel) & 1) << (7 - bit)
            code >>= 3
    return cmap


_VOC_PNG_PALETTE = voc_colormap().ravel().tolist()


def save_voc_png(label: np.ndarray, path: str) -> None:
    """Save an ``(H, W)`` uint8 class map as a palette PNG with the VOC colours."""
    png = Image.fromarray(label)
    png.putpalette(_VOC_PNG_PALETTE)
    png.save(path)


def read_sbd_mat(path: str) -> np.ndarray:
    """The class map (``GTcls.Segmentation``) of an SBD ``cls/*.mat`` file, as uint8."""
    try:
        gt = loadmat(path, squeeze_me=True, struct_as_record=False)['GTcls']
        label = np.asarray(gt.Segmentation)
    except (KeyError, AttributeError) as e:
        raise DataError(f'cannot read GTcls.Segmentation from SBD file {path} ({e})') from None
    except (MatReadError, ValueError, TypeError, OSError) as e:  # damaged or not a .mat
        raise DataError(f'cannot read SBD file {path}: '
                        f'{why_unreadable(path, "MATLAB .mat file", e)}') from None
    values = (label.min(), label.max()) if label.size else ()
    if label.ndim != 2 or not values or values[0] < 0 or values[1] >= NUM_VOC_CLASSES:
        raise DataError(f'SBD file {path}: GTcls.Segmentation must be a 2-D map of class '
                        f'indices 0..{NUM_VOC_CLASSES - 1}, got shape {label.shape} with values '
                        + ('..'.join(map(str, values)) or 'none'))
    return label.astype(np.uint8)


def _convert_mat(name: str, cls_dir: str, out_dir: str) -> None:
    save_voc_png(read_sbd_mat(osp.join(cls_dir, name + '.mat')), osp.join(out_dir, name + '.png'))


def convert_voc_aug(devkit_path: str, sbd_path: str, nproc: int = 1) -> dict:
    """Convert SBD labels into ``VOC2012/SegmentationClassAug`` and write the aug lists.

    Args:
        devkit_path: ``data/VOCdevkit`` (holding ``VOC2012``).
        sbd_path: SBD's ``benchmark_RELEASE`` (holding ``dataset/cls/*.mat``,
            ``dataset/train.txt`` and ``dataset/val.txt``).
        nproc: processes converting the ``.mat`` files.

    Returns:
        Counts: ``converted`` SBD labels, ``copied`` VOC labels, ``aug`` and ``trainaug``
        list sizes.
    """
    voc_root = osp.join(devkit_path, 'VOC2012')
    split_dir = osp.join(voc_root, 'ImageSets', 'Segmentation')
    voc_label_dir = osp.join(voc_root, 'SegmentationClass')
    cls_dir = osp.join(sbd_path, 'dataset', 'cls')
    for folder, hint in ((split_dir, VOC_HINT), (voc_label_dir, VOC_HINT), (cls_dir, SBD_HINT)):
        if not osp.isdir(folder):
            raise DataError(f'folder not found: {folder}. {hint}')
    sbd_ids = (read_split_list(osp.join(sbd_path, 'dataset', 'train.txt'), SBD_HINT)
               + read_split_list(osp.join(sbd_path, 'dataset', 'val.txt'), SBD_HINT))
    voc_train = read_split_list(osp.join(split_dir, 'train.txt'), VOC_HINT)
    voc_val = read_split_list(osp.join(split_dir, 'val.txt'), VOC_HINT)
    for name in sbd_ids:
        if not osp.isfile(osp.join(cls_dir, name + '.mat')):
            raise DataError(f'SBD lists name {name!r} but {osp.join(cls_dir, name + ".mat")} '
                            f'is missing. {SBD_HINT}')

    out_dir = osp.join(voc_root, 'SegmentationClassAug')
    os.makedirs(out_dir, exist_ok=True)
    names = sorted(set(sbd_ids))
    map_with_progress(functools.partial(_convert_mat, cls_dir=cls_dir, out_dir=out_dir),
                      names, nproc=nproc)
    voc_labels = sorted(f for f in os.listdir(voc_label_dir) if f.endswith('.png'))
    for name in voc_labels:
        shutil.copyfile(osp.join(voc_label_dir, name), osp.join(out_dir, name))

    aug = sorted(set(sbd_ids) - set(voc_train) - set(voc_val))
    trainaug = sorted(set(voc_train + sbd_ids) - set(voc_val))
    for list_name, ids in (('aug.txt', aug), ('trainaug.txt', trainaug)):
        with open(osp.join(split_dir, list_name), 'w') as f:
            f.writelines(i + '\n' for i in ids)
    return dict(converted=len(names), copied=len(voc_labels), aug=len(aug),
                trainaug=len(trainaug))
