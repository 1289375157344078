import math

import pytest
import torch

from segkit.evaluation.metrics import IoUMetric


def sample(pred, gt):
    return dict(pred_sem_seg=dict(data=torch.tensor(pred)[None]),
                gt_sem_seg=dict(data=torch.tensor(gt, dtype=torch.uint8)[None]))


def test_hand_computed_metrics():
    metric = IoUMetric()
    metric.dataset_meta = dict(classes=('a', 'b', 'c'))
    metric.process(None, [sample([[0, 0], [1, 2]], [[0, 1], [1, 255]]),
                          sample([[1, 1]], [[1, 1]])])
    result = metric.evaluate(size=2)
    # class a: tp 1, gt 1, pred 2 -> IoU 1/2; b: tp 3, gt 4, pred 3 -> 3/4; c: absent in gt,
    # predicted only on an ignored pixel -> NaN, left out.
    assert math.isclose(result['mIoU'], round((0.5 + 0.75) / 2 * 100, 2))
    assert math.isclose(result['aAcc'], 80.0)
    assert math.isclose(result['mAcc'], round((1 + 0.75) / 2 * 100, 2))
    assert math.isclose(result['mDice'], round((2 / 3 + 6 / 7) / 2 * 100, 2))
    assert metric.per_class == {'a': {'IoU': 50.0, 'Acc': 100.0, 'Dice': 66.67},
                                'b': {'IoU': 75.0, 'Acc': 75.0, 'Dice': 85.71},
                                'c': {'IoU': None, 'Acc': None, 'Dice': None}}


def test_counts_must_match_dataset_size():
    metric = IoUMetric()
    metric.dataset_meta = dict(classes=('a', 'b'))
    metric.process(None, [sample([[0]], [[0]])])
    with pytest.raises(RuntimeError, match='round_up=False'):
        metric.evaluate(size=2)
