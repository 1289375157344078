"""BaseSegDataset used directly: own folders of images and masks, and each mistake's message."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from PIL import Image

from segkit.registry import DATASETS
from segkit.utils.errors import ConfigError, DataError

from tests.dataset_trees import make_binary_folder

LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]


def build(root, **kwargs):
    cfg = dict(type='BaseSegDataset', data_root=root,
               data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'),
               img_suffix='.png', metainfo=dict(classes=('background', 'object')),
               pipeline=LOAD)
    cfg.update(kwargs)
    return DATASETS.build(cfg)


@pytest.fixture
def root(tmp_path):
    return make_binary_folder(str(tmp_path / 'data'))


def test_label_map_turns_255_into_class_1(root):
    dataset = build(root, label_map={255: 1})
    assert len(dataset) == 4
    label = dataset[0]['gt_seg_map']
    raw = np.asarray(Image.open(dataset.get_data_info(0)['seg_map_path']))
    assert set(np.unique(label)) == {0, 1}
    np.testing.assert_array_equal(label, (raw == 255).astype(np.uint8))
    assert dataset.metainfo['palette'] == [[0, 0, 0], [128, 0, 0]]


def test_split_file_and_classes_file(root):
    with open(osp.join(root, 'train.txt'), 'w') as f:
        f.write('train_2\ntrain_0\n')
    with open(osp.join(root, 'classes.txt'), 'w') as f:
        f.write('background\nobject\n')
    dataset = build(root, ann_file='train.txt', metainfo=dict(classes='classes.txt'),
                    label_map={255: 1})
    assert dataset.metainfo['classes'] == ('background', 'object')
    assert [osp.basename(dataset.get_data_info(i)['img_path']) for i in range(2)] == \
        ['train_2.png', 'train_0.png']


def test_colour_masks_through_the_palette(root):
    palette = [[0, 0, 0], [255, 0, 0]]
    path = osp.join(root, 'ann_dir', 'train', 'train_0.png')
    gray = np.asarray(Image.open(path))
    rgb = np.zeros((*gray.shape, 3), np.uint8)
    rgb[gray == 255] = (255, 0, 0)
    Image.fromarray(rgb).save(path)
    dataset = build(root, metainfo=dict(classes=('background', 'object'), palette=palette),
                    label_map={255: 1})
    np.testing.assert_array_equal(dataset[0]['gt_seg_map'], (gray == 255).astype(np.uint8))
    rgb[0, 0] = (0, 255, 0)
    Image.fromarray(rgb).save(path)
    with pytest.raises(DataError) as e:
        dataset[0]
    assert str(e.value) == (
        f'label {path} is an RGB mask with colour(s) (0, 255, 0) that are not in the palette '
        '[[0, 0, 0], [255, 0, 0]]; set metainfo palette to the colour of each class')


def test_image_without_mask(root):
    os.remove(osp.join(root, 'ann_dir', 'train', 'train_1.png'))
    with pytest.raises(DataError) as e:
        build(root)
    assert str(e.value) == (f"label for {root}/img_dir/train/train_1.png not found: "
                            f"{root}/ann_dir/train/train_1.png.")


def test_mask_without_image(root):
    os.remove(osp.join(root, 'img_dir', 'train', 'train_1.png'))
    with pytest.raises(DataError) as e:
        build(root)
    assert str(e.value) == (f'mask {root}/ann_dir/train/train_1.png has no image: expected '
                            f'{root}/img_dir/train/train_1.png')


def test_wrong_image_suffix_is_named(root):
    with pytest.raises(DataError) as e:
        build(root, img_suffix='.jpg')
    assert str(e.value) == (f"BaseSegDataset: no images ending in '.jpg' under "
                            f"'{root}/img_dir/train' (it holds 4 .png files: set "
                            "img_suffix='.png'?).")


def test_sizes_differ(root):
    img_path = osp.join(root, 'img_dir', 'train', 'train_0.png')
    cv2.imwrite(img_path, np.zeros((20, 30, 3), np.uint8))
    with pytest.raises(DataError) as e:
        build(root, label_map={255: 1})[0]
    assert str(e.value) == (f'image {img_path} is 30x20 (w x h) but its label '
                            f'{root}/ann_dir/train/train_0.png is 40x32')


def test_values_outside_classes_and_map(root):
    path = osp.join(root, 'ann_dir', 'train', 'train_0.png')
    mask = np.asarray(Image.open(path)).copy()
    mask[0, :3] = 128
    Image.fromarray(mask).save(path)
    with pytest.raises(DataError) as e:
        build(root, label_map={255: 1})[0]
    assert str(e.value) == (f'label {path} has values 128 outside 0..1 and ignore_index 255; '
                            'label_map {255: 1} does not map them; add them to label_map or '
                            'check num_classes')


def test_unmapped_binary_mask_suggests_label_map(root):
    path = osp.join(root, 'ann_dir', 'train', 'train_0.png')
    with pytest.raises(DataError) as e:
        build(root, ignore_index=254)[0]
    assert str(e.value) == (f'label {path} has values 255 outside 0..1 and ignore_index 254; '
                            "it looks like a binary 0/255 mask: set the dataset's "
                            'label_map={255: 1} (with num_classes=2), or ignore_index=255 if '
                            '255 marks pixels to ignore')


def test_config_mistakes(root):
    with pytest.raises(ConfigError) as e:
        build(root, metainfo=None)
    assert str(e.value) == ("BaseSegDataset: metainfo has no classes; set metainfo=dict("
                            "classes=('background', ...)) or classes='classes.txt' (one name "
                            'a line)')
    with pytest.raises(ConfigError) as e:
        build(root, metainfo=dict(classes='names.txt'))
    assert str(e.value) == (f'BaseSegDataset: classes file not found: {root}/names.txt '
                            '(metainfo classes: a list of names or a text file, one a line)')
    with pytest.raises(ConfigError) as e:
        build(root, label_map={255: 2})
    assert str(e.value) == ('BaseSegDataset: label_map {255: 2} maps to values that are '
                            'neither a class index 0..1 nor ignore_index 255')
    with pytest.raises(ConfigError) as e:
        build(root, metainfo=dict(classes=('a', 'b'), palette=[[0, 0, 0]]))
    assert str(e.value) == ('BaseSegDataset: metainfo palette has 1 colours for 2 classes; '
                            'give one [r, g, b] per class')
