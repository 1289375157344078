import numpy as np
import pytest
import torch

from segkit.evaluation.metrics import BoundaryFScore
from segkit.evaluation.metrics.boundary_fscore import boundary_f_scores, class_boundary
from segkit.utils.errors import ConfigError


def sample(pred, gt):
    return dict(pred_sem_seg=dict(data=torch.tensor(pred)[None]),
                gt_sem_seg=dict(data=torch.tensor(gt, dtype=torch.uint8)[None]))


# Image 1: a 3x3 square of class 1 on class 0; the prediction finds only its centre.
GT1 = np.zeros((5, 5), dtype=np.int64)
GT1[1:4, 1:4] = 1
PRED1 = np.zeros((5, 5), dtype=np.int64)
PRED1[2, 2] = 1


def test_class_boundary_is_inner_and_ignores_border():
    ring = class_boundary(GT1 == 1)
    expected = GT1 == 1
    expected[2, 2] = False
    assert np.array_equal(ring, expected)
    outer = class_boundary(GT1 == 0)
    assert outer.sum() == 12 and not outer[0, 0]  # corners touch the square diagonally only


def test_hand_computed_scores_on_one_image():
    scores = boundary_f_scores(PRED1, GT1, num_classes=3, tolerances=(1, 2))
    # Class 1, 1 px: the predicted pixel matches (P = 1); 4 of the 8 ring pixels are within
    # 1 px of it, the corners are sqrt(2) away (R = 1/2): F = 2/3. Class 0, 1 px: the 4
    # predicted pixels match (P = 1); 4 of the 12 true ones are found (R = 1/3): F = 1/2.
    # At 2 px everything matches. Class 2 is absent from both: F = 1.
    assert np.allclose(scores, [[1 / 2, 2 / 3, 1], [1, 1, 1]])


def test_ignored_pixels_belong_to_no_class():
    gt = np.array([[0, 255, 1, 1]] * 3)  # both classes have a boundary at the ignored column
    # The prediction on the ignored column does not matter.
    for pred_on_ignored in (0, 1):
        pred = np.array([[0, pred_on_ignored, 1, 1]] * 3)
        assert np.array_equal(boundary_f_scores(pred, gt, 2, (0,)), [[1, 1]])
    # Class 1 predicted from column 3: its boundary is 1 px off (F = 0 at 0 px). Class 0
    # gets a second boundary column (2): P = 3/6, R = 1, F = 2/3. At 2 px all match.
    scores = boundary_f_scores(np.array([[0, 0, 0, 1]] * 3), gt, 2, (0, 2))
    assert np.allclose(scores, [[2 / 3, 0], [1, 1]])


def test_metric_means_over_images_then_classes_with_empty_conventions():
    metric = BoundaryFScore(tolerances=(1, 2))
    metric.dataset_meta = dict(classes=('a', 'b', 'c'))
    # Image 2: no true boundary; class 0 and 2 predicted boundaries are all wrong
    # (true empty, predicted not: P = 0, R = 1, F = 0); class 1 absent from both: F = 1.
    pred2 = [[0, 0, 0], [0, 2, 0], [0, 0, 0]]
    # Image 3: nothing predicted for the true boundary of classes 1 and 2 (P = 1, R = 0).
    gt3 = [[1, 1, 2]] * 3
    metric.process(None, [sample(PRED1, GT1), sample(pred2, [[0] * 3] * 3)])
    metric.process(None, [sample([[1] * 3] * 3, gt3)])
    assert metric.sums.shape == (2, 3) and metric.results == []  # only the sums are kept
    result = metric.evaluate(size=3)
    per_class_1px = [(1 / 2 + 0 + 1) / 3, (2 / 3 + 1 + 0) / 3, (1 + 0 + 0) / 3]
    per_class_2px = [(1 + 0 + 1) / 3, (1 + 1 + 0) / 3, (1 + 0 + 0) / 3]
    assert result == {'mBF@1px': round(np.mean(per_class_1px) * 100, 2),
                      'mBF@2px': round(np.mean(per_class_2px) * 100, 2)}
    assert result['mBF@1px'] == 46.3
    assert metric.per_class == {
        name: {'BF@1px': round(f1 * 100, 2), 'BF@2px': round(f2 * 100, 2)}
        for name, f1, f2 in zip('abc', per_class_1px, per_class_2px)}


def test_counts_must_match_dataset_size_and_tolerances_are_checked():
    metric = BoundaryFScore()
    metric.dataset_meta = dict(classes=('a', 'b'))
    metric.process(None, [sample([[0]], [[0]])])
    with pytest.raises(RuntimeError, match='round_up=False'):
        metric.evaluate(size=2)
    with pytest.raises(ConfigError, match='tolerances'):
        BoundaryFScore(tolerances=())
