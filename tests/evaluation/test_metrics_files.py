import csv
import json

import numpy as np
import pytest

from segkit.evaluation.metrics_files import (check_metrics_path, evaluator_per_class,
                                             metrics_record, per_class_table, write_metrics)
from segkit.utils.errors import ConfigError

METRICS = {'aAcc': 90.5, 'mIoU': 40.0, 'mAcc': 55.25, 'mBF@3px': 61.0}
PER_CLASS = per_class_table(['road', 'sky'], {'IoU': np.array([0.8, np.nan]),
                                              'Acc': [0.7, 0.4], 'BF@3px': [0.6, 0.62]})


def test_per_class_table_in_percent_with_none_for_undefined():
    assert PER_CLASS == {'road': {'IoU': 80.0, 'Acc': 70.0, 'BF@3px': 60.0},
                         'sky': {'IoU': None, 'Acc': 40.0, 'BF@3px': 62.0}}


def test_json_holds_metrics_and_per_class_table(tmp_path):
    path = tmp_path / 'm.json'
    write_metrics(str(path), dict(METRICS, extra=float('nan')), PER_CLASS)
    assert json.loads(path.read_text()) == {'metrics': dict(METRICS, extra=None),
                                            'per_class': PER_CLASS}


def test_csv_is_one_table_with_an_overall_row(tmp_path):
    path = tmp_path / 'm.csv'
    write_metrics(str(path), METRICS, PER_CLASS)
    with open(path, newline='') as f:
        rows = list(csv.reader(f))
    assert rows == [['class', 'IoU', 'Acc', 'BF@3px', 'aAcc'],
                    ['road', '80.0', '70.0', '60.0', ''],
                    ['sky', '', '40.0', '62.0', ''],
                    ['overall', '40.0', '55.25', '61.0', '90.5']]


def test_csv_without_per_class_values(tmp_path):
    path = tmp_path / 'm.csv'
    write_metrics(str(path), {'mIoU': 1.5}, {})
    assert path.read_text() == 'class,mIoU\noverall,1.5\n'


def test_bad_output_paths_are_named(tmp_path):
    with pytest.raises(ConfigError, match=r'^--out-metrics m.txt: expected a .json or .csv '
                                          r'file name$'):
        check_metrics_path('m.txt')
    missing = tmp_path / 'no' / 'm.json'
    with pytest.raises(ConfigError, match=f'^--out-metrics {missing}: folder {missing.parent} '
                                          'does not exist$'):
        check_metrics_path(str(missing))


def test_evaluator_tables_are_merged():
    class Metric:
        def __init__(self, per_class):
            self.per_class = per_class

    class Evaluator:
        metrics = [Metric({'a': {'IoU': 1.0}}), Metric(None), Metric({'a': {'BF@3px': 2.0}})]

    assert evaluator_per_class(Evaluator()) == {'a': {'IoU': 1.0, 'BF@3px': 2.0}}
    assert metrics_record({'mIoU': np.float64(3.0)}, {}, iter=5) == {
        'iter': 5, 'metrics': {'mIoU': 3.0}, 'per_class': {}}
