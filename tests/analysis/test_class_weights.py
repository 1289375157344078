import os.path as osp

import numpy as np
import pytest
from PIL import Image

from segkit.analysis.class_weights import (class_weights_from_config, count_label_pixels,
                                           format_class_weights, inverse_log_weights,
                                           median_frequency_weights)
from segkit.utils.errors import ConfigError

from tests.helpers import REPO

QUICKSTART = osp.join(REPO, 'configs', 'quickstart.py')
DEMO_ARGS = dict(num_train=24, num_val=8, image_size=64)  # how the demo_root fixture was made


def demo_options(root):
    options = dict(data_root=root, **DEMO_ARGS)
    return {f'train_dataloader.dataset.{k}': v for k, v in options.items()}


def hand_count(root, num_images=None, num_classes=5):
    """Per class: pixels, and the pixels of the images holding it (one np.unique per image)."""
    ids = open(osp.join(root, 'ImageSets/Segmentation/train.txt')).read().split()[:num_images]
    class_pixels, image_pixels = np.zeros(num_classes), np.zeros(num_classes)
    for i in ids:
        label = np.array(Image.open(osp.join(root, 'SegmentationClass', f'{i}.png')))
        values, counts = np.unique(label, return_counts=True)
        in_classes = values < num_classes
        for value, count in zip(values[in_classes], counts[in_classes]):
            class_pixels[value] += count
            image_pixels[value] += counts[in_classes].sum()
    return class_pixels, image_pixels


@pytest.mark.parametrize('max_images', [None, 5])
def test_median_frequency_on_demo_data(demo_root, max_images):
    result = class_weights_from_config(QUICKSTART, max_images=max_images,
                                       cfg_options=demo_options(demo_root))
    class_pixels, image_pixels = hand_count(demo_root, max_images)
    assert result['num_images'] == (max_images or 24)
    assert result['classes'][1] == 'horizontal'
    np.testing.assert_array_equal(result['class_pixels'], class_pixels)
    freq = class_pixels / image_pixels
    np.testing.assert_allclose(result['weights'], np.median(freq) / freq)


def test_inverse_log_on_demo_data(demo_root):
    result = class_weights_from_config(QUICKSTART, method='inverse_log',
                                       cfg_options=demo_options(demo_root))
    class_pixels, _ = hand_count(demo_root)
    np.testing.assert_allclose(result['weights'],
                               1 / np.log(1.02 + class_pixels / class_pixels.sum()))
    text = format_class_weights(result)
    assert text.splitlines()[-1] == 'class_weight=[' + ', '.join(
        f'{w:.4f}' for w in result['weights']) + ']'


def test_concat_dataset_and_reduce_zero_label(demo_root):
    demo = dict(type='DemoDataset', data_root=demo_root,
                ann_file='ImageSets/Segmentation/train.txt',
                pipeline=[dict(type='LoadImageFromFile')], **DEMO_ARGS)  # replaced by the tool
    counts = count_label_pixels(dict(type='ConcatDataset',
                                     datasets=[demo, dict(demo, reduce_zero_label=True)]))
    class_pixels, _ = hand_count(demo_root)
    shifted = np.append(class_pixels[1:], 0)  # 0 becomes ignored, k becomes k - 1
    assert counts['num_images'] == 48
    np.testing.assert_array_equal(counts['class_pixels'], class_pixels + shifted)


def test_formulas_on_hand_counts():
    class_pixels = np.array([60, 30, 10, 0])
    image_pixels = np.array([100, 60, 100, 0])  # class 1 only in a 60-pixel image
    # frequencies 0.6, 0.5, 0.1: median 0.5
    np.testing.assert_allclose(median_frequency_weights(class_pixels, image_pixels),
                               [0.5 / 0.6, 1.0, 5.0, 1.0])  # never seen: 1.0
    np.testing.assert_allclose(inverse_log_weights(class_pixels),
                               1 / np.log(1.02 + np.array([0.6, 0.3, 0.1, 0.0])))


def test_bad_arguments():
    with pytest.raises(ConfigError, match='median_freq, inverse_log'):
        class_weights_from_config(QUICKSTART, method='median')
    with pytest.raises(ConfigError, match='max-images'):
        class_weights_from_config(QUICKSTART, max_images=0)
    with pytest.raises(ConfigError, match='no labelled pixel'):
        median_frequency_weights(np.zeros(3), np.zeros(3))
