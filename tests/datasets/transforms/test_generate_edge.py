import numpy as np
import pytest

from segkit.datasets.transforms import GenerateEdge, PackSegInputs
from segkit.datasets.transforms.generate_edge import label_to_edge
from segkit.utils.errors import ConfigError


def test_two_classes_touching_the_border():
    # Class 0 on the left, class 1 on the right; both touch every image border.
    label = np.array([[0, 0, 0, 1, 1, 1, 1]] * 4, dtype=np.uint8)
    expected_r1 = np.array([[0, 0, 1, 1, 0, 0, 0]] * 4, dtype=np.uint8)
    expected_r2 = np.array([[0, 1, 1, 1, 1, 0, 0]] * 4, dtype=np.uint8)
    assert np.array_equal(label_to_edge(label, radius=1), expected_r1)
    assert np.array_equal(label_to_edge(label, radius=2), expected_r2)
    # One class filling the image: the border is no boundary.
    assert not label_to_edge(np.full((5, 5), 3, np.uint8), radius=2).any()


def test_class_zero_object_is_outlined():
    # A class-0 square inside class 2 (the official code drops class 0: off by one).
    label = np.full((7, 7), 2, dtype=np.uint8)
    label[2:5, 2:5] = 0
    edge = label_to_edge(label, radius=1)
    ring = np.zeros((7, 7), dtype=bool)
    ring[1:6, 1:6] = True
    ring[3, 3] = False  # the square's centre is 2 px from class 2 (diagonals are sqrt(2) > 1)
    ring[[1, 1, 5, 5], [1, 5, 1, 5]] = False  # outer corners: sqrt(2) from the square
    assert np.array_equal(edge.astype(bool), ring)


def test_ignore_pixels_stay_ignored():
    label = np.array([[0, 0, 0, 1, 1, 1],
                      [0, 0, 0, 1, 1, 1],
                      [0, 0, 0, 1, 1, 1],
                      [0, 0, 255, 255, 1, 1]], dtype=np.uint8)
    expected = np.array([[0, 1, 1, 1, 1, 0],
                         [0, 1, 1, 1, 1, 0],
                         [0, 1, 1, 1, 1, 0],
                         [1, 1, 255, 255, 1, 1]], dtype=np.uint8)  # (3, 0): 2 px from ignore
    assert np.array_equal(label_to_edge(label, radius=2), expected)
    assert np.array_equal(label_to_edge(np.full((3, 3), 255, np.uint8)), np.full((3, 3), 255))


def test_transform_writes_and_packs_gt_edge_map():
    label = np.zeros((4, 6), dtype=np.uint8)
    label[:, 3:] = 1
    results = dict(img=np.zeros((4, 6, 3), np.uint8), gt_seg_map=label, seg_fields=['gt_seg_map'])
    results = GenerateEdge(radius=1)(results)
    assert results['seg_fields'] == ['gt_seg_map', 'gt_edge_map']
    assert np.array_equal(results['gt_edge_map'][0], [0, 0, 1, 1, 0, 0])
    packed = PackSegInputs()(results)['data_samples']
    assert packed.gt_edge_map.data.shape == (1, 4, 6)
    assert packed.gt_edge_map.data[0, 0].tolist() == [0, 0, 1, 1, 0, 0]


def test_user_mistakes():
    with pytest.raises(ConfigError, match='radius'):
        GenerateEdge(radius=0)
    with pytest.raises(ConfigError, match='after LoadAnnotations'):
        GenerateEdge()(dict(img=np.zeros((2, 2, 3), np.uint8)))
