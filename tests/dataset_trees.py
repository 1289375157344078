"""Tiny PASCAL VOC 2012, SBD and Cityscapes trees with the official file names and formats."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import scipy.io
import scipy.sparse
from PIL import Image

from segkit.datasets.converters.voc_aug import save_voc_png

VOC_SIZE = (20, 24)  # (h, w)
VOC_TRAIN = ['2007_000032', '2007_000039', '2007_000063']
VOC_VAL = ['2007_000033', '2007_000042']
SBD_TRAIN = ['2007_000039', '2008_000002', '2008_000003', '2007_000033']
SBD_VAL = ['2008_000007', '2007_000063', '2008_000009']
# (SBD train + SBD val) - (VOC train + VOC val), and (VOC train + SBD) - VOC val.
AUG = ['2008_000002', '2008_000003', '2008_000007', '2008_000009']
TRAINAUG = sorted(set(VOC_TRAIN) | set(AUG))


def write_lines(path: str, lines) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.writelines(line + '\n' for line in lines)


def voc_label(index: int) -> np.ndarray:
    """A VOC-style label: background, one object of class 1 + index % 20, a 255 border."""
    label = np.zeros(VOC_SIZE, dtype=np.uint8)
    label[4:12, 5:15] = 1 + index % 20
    label[3, 5:15] = 255
    return label


def sbd_label(index: int) -> np.ndarray:
    """An SBD-style label (no ignore border): background and two objects."""
    label = np.zeros(VOC_SIZE, dtype=np.uint8)
    label[2:9, 2:10] = 1 + index % 20
    label[12:18, 10:22] = 20 - index % 20
    return label


def save_sbd_mat(path: str, label: np.ndarray) -> None:
    """Save ``label`` as SBD does: struct GTcls with Segmentation, Boundaries (a 20x1 cell array
    of sparse edge maps) and CategoriesPresent."""
    boundaries = np.empty((20, 1), dtype=object)
    for c in range(20):
        edge = cv2.morphologyEx((label == c + 1).astype(np.uint8), cv2.MORPH_GRADIENT,
                                np.ones((3, 3), np.uint8))
        boundaries[c, 0] = scipy.sparse.csc_matrix(edge.astype(bool))
    present = np.array([c for c in np.unique(label) if c > 0], dtype=np.uint8)[:, None]
    scipy.io.savemat(path, {'GTcls': {'Segmentation': label, 'Boundaries': boundaries,
                                      'CategoriesPresent': present}})


def make_voc_tree(root: str) -> dict:
    """``root/VOCdevkit/VOC2012`` (JPEGs, palette labels, lists) and
    ``root/VOCdevkit/benchmark_RELEASE`` (SBD); returns the label arrays by id."""
    voc = osp.join(root, 'VOCdevkit', 'VOC2012')
    sbd = osp.join(root, 'VOCdevkit', 'benchmark_RELEASE', 'dataset')
    for folder in ('JPEGImages', 'SegmentationClass'):
        os.makedirs(osp.join(voc, folder), exist_ok=True)
    os.makedirs(osp.join(sbd, 'cls'), exist_ok=True)
    rng = np.random.default_rng(0)
    labels = dict(voc={}, sbd={})
    all_ids = sorted(set(VOC_TRAIN + VOC_VAL + SBD_TRAIN + SBD_VAL))
    for index, name in enumerate(all_ids):
        img = rng.integers(0, 255, (*VOC_SIZE, 3), dtype=np.uint8)
        cv2.imwrite(osp.join(voc, 'JPEGImages', name + '.jpg'), img)
        if name in VOC_TRAIN + VOC_VAL:
            labels['voc'][name] = voc_label(index)
            save_voc_png(labels['voc'][name], osp.join(voc, 'SegmentationClass', name + '.png'))
        if name in SBD_TRAIN + SBD_VAL:
            labels['sbd'][name] = sbd_label(index)
            save_sbd_mat(osp.join(sbd, 'cls', name + '.mat'), labels['sbd'][name])
    split_dir = osp.join(voc, 'ImageSets', 'Segmentation')
    write_lines(osp.join(split_dir, 'train.txt'), VOC_TRAIN)
    write_lines(osp.join(split_dir, 'val.txt'), VOC_VAL)
    write_lines(osp.join(split_dir, 'trainval.txt'), VOC_TRAIN + VOC_VAL)
    write_lines(osp.join(sbd, 'train.txt'), SBD_TRAIN)
    write_lines(osp.join(sbd, 'val.txt'), SBD_VAL)
    return labels


CITYSCAPES_SIZE = (32, 64)  # (h, w)
# (split, city, sequence, frame, whether polygons are shipped)
CITYSCAPES_FRAMES = [
    ('train', 'aachen', 0, 19, True), ('train', 'aachen', 1, 19, True),
    ('train', 'bochum', 0, 313, False),
    ('val', 'frankfurt', 0, 294, True), ('val', 'frankfurt', 0, 576, True),
    ('test', 'berlin', 0, 19, True),
]
# (label name, label id, train id, x0, y0, x1, y1): inclusive rectangles drawn in order.
CITYSCAPES_OBJECTS = [
    ('sky', 23, 10, 0, 0, 63, 9), ('building', 11, 2, 0, 10, 63, 17),
    ('road', 7, 0, 0, 18, 63, 31), ('parking', 9, 255, 40, 20, 50, 26),
    ('car', 26, 13, 4, 14, 19, 23), ('license plate', -1, -1, 8, 20, 12, 22),
    ('cargroup', 26, 13, 22, 15, 29, 22), ('person', 24, 11, 32, 8, 35, 25),
    ('ego vehicle', 1, 255, 0, 28, 63, 31),
]


def cityscapes_name(city: str, seq: int, frame: int, suffix: str) -> str:
    return f'{city}_{seq:06d}_{frame:06d}_{suffix}'


def make_cityscapes_tree(root: str) -> dict:
    """``root/cityscapes`` with leftImg8bit images and gtFine polygons, labelIds and
    instanceIds (the test frame has only 'out of roi'); returns the expected train-id maps
    by ``<split>/<city>/<frame id>``."""
    data_root = osp.join(root, 'cityscapes')
    rng = np.random.default_rng(0)
    h, w = CITYSCAPES_SIZE
    expected = {}
    for split, city, seq, frame, with_polygons in CITYSCAPES_FRAMES:
        img_dir = osp.join(data_root, 'leftImg8bit', split, city)
        gt_dir = osp.join(data_root, 'gtFine', split, city)
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(gt_dir, exist_ok=True)
        cv2.imwrite(osp.join(img_dir, cityscapes_name(city, seq, frame, 'leftImg8bit.png')),
                    rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
        objects = CITYSCAPES_OBJECTS if split != 'test' else [('out of roi', 3, 255, 0, 0, 63, 31)]
        label_ids = np.zeros((h, w), dtype=np.uint8)
        train_ids = np.full((h, w), 255, dtype=np.uint8)
        instance_ids = np.zeros((h, w), dtype=np.int32)
        polygons = []
        for index, (name, label_id, train_id, x0, y0, x1, y1) in enumerate(objects):
            shift = (seq + frame) % 3  # frames differ
            x0, x1 = x0 + shift, min(x1 + shift, w - 1)
            polygons.append(dict(label=name, polygon=[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
            if label_id < 0:
                continue
            label_ids[y0:y1 + 1, x0:x1 + 1] = label_id
            train_ids[y0:y1 + 1, x0:x1 + 1] = train_id
            is_instance = name in ('car', 'person')
            instance_ids[y0:y1 + 1, x0:x1 + 1] = label_id * 1000 + index if is_instance \
                else label_id
        stem = osp.join(gt_dir, cityscapes_name(city, seq, frame, 'gtFine_'))
        Image.fromarray(label_ids).save(stem + 'labelIds.png')
        cv2.imwrite(stem + 'instanceIds.png', instance_ids.astype(np.uint16))  # 16-bit, as shipped
        if with_polygons:
            with open(stem + 'polygons.json', 'w') as f:
                json.dump(dict(imgHeight=h, imgWidth=w, objects=polygons), f)
        expected[f'{split}/{city}/{cityscapes_name(city, seq, frame, "")[:-1]}'] = train_ids
    return expected


def make_binary_folder(root: str, num_train: int = 4, num_val: int = 2, size=(32, 40)) -> str:
    """``root/img_dir/{train,val}/*.png`` photos and ``root/ann_dir/{train,val}/*.png``
    grayscale masks of 0 (background) and 255 (a bright disc); returns ``root``."""
    rng = np.random.default_rng(0)
    for split, num in (('train', num_train), ('val', num_val)):
        os.makedirs(osp.join(root, 'img_dir', split), exist_ok=True)
        os.makedirs(osp.join(root, 'ann_dir', split), exist_ok=True)
        for i in range(num):
            mask = np.zeros(size, np.uint8)
            cv2.circle(mask, (int(rng.integers(8, size[1] - 8)), int(rng.integers(8, size[0] - 8))),
                       int(rng.integers(4, 8)), 255, -1)
            img = rng.integers(0, 100, (*size, 3), dtype=np.uint8)
            img[mask > 0] += 120
            cv2.imwrite(osp.join(root, 'img_dir', split, f'{split}_{i}.png'), img)
            Image.fromarray(mask, mode='L').save(osp.join(root, 'ann_dir', split,
                                                          f'{split}_{i}.png'))
    return root


def make_multispectral_folder(root: str, num_train: int = 4, num_val: int = 2,
                              size=(32, 40), channels: int = 4) -> str:
    """``root/img_dir/{train,val}/*.tif`` uint16 images of ``channels`` bands (the last one,
    like near-infrared, bright on the object) and 0/1 masks in ``root/ann_dir``."""
    import tifffile
    rng = np.random.default_rng(1)
    for split, num in (('train', num_train), ('val', num_val)):
        os.makedirs(osp.join(root, 'img_dir', split), exist_ok=True)
        os.makedirs(osp.join(root, 'ann_dir', split), exist_ok=True)
        for i in range(num):
            mask = np.zeros(size, np.uint8)
            corner = (int(rng.integers(0, size[1] // 2)), int(rng.integers(0, size[0] // 2)))
            cv2.rectangle(mask, corner, (size[1] - 4, size[0] - 4), 1, -1)
            img = rng.integers(0, 20000, (*size, channels)).astype(np.uint16)
            img[..., -1][mask > 0] += 40000
            tifffile.imwrite(osp.join(root, 'img_dir', split, f'{split}_{i}.tif'), img)
            Image.fromarray(mask, mode='L').save(osp.join(root, 'ann_dir', split,
                                                          f'{split}_{i}.png'))
    return root
