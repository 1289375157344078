import numpy as np
import pytest

from segkit.analysis import confusion_matrix, normalize_rows, plot_confusion_matrix
from segkit.utils.errors import DataError


def test_counts_rows_ground_truth_columns_prediction():
    gt = np.array([[0, 0, 1], [1, 255, 2]])
    pred = np.array([[0, 1, 1], [1, 0, 0]])
    counts = confusion_matrix([(pred, gt), (pred, gt)], num_classes=4)
    assert counts.tolist() == [[2, 2, 0, 0], [0, 4, 0, 0], [2, 0, 0, 0], [0, 0, 0, 0]]


def test_normalised_rows_sum_to_one_or_zero_for_absent_classes():
    matrix = normalize_rows(np.array([[1, 3, 0], [0, 0, 0], [2, 2, 4]]))
    assert matrix[0].tolist() == [0.25, 0.75, 0]
    assert np.allclose(matrix.sum(axis=1), [1, 0, 1])


def test_plot_and_size_check(tmp_path):
    matrix = normalize_rows(np.array([[1, 3], [0, 2]]))
    fig = plot_confusion_matrix(matrix, ['a', 'b'], str(tmp_path / 'm.png'))
    assert (fig.axes[0].images[0].get_array() == matrix).all()
    assert (tmp_path / 'm.png').stat().st_size > 0
    with pytest.raises(DataError, match=r'prediction \(2, 2\) and ground truth \(2, 3\)'):
        confusion_matrix([(np.zeros((2, 2)), np.zeros((2, 3)))], num_classes=2)
