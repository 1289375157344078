"""CityscapesMetric runs the official evaluator; its class IoUs equal IoUMetric's."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from segkit.datasets import CityscapesDataset
from segkit.datasets.cityscapes_dataset import CITYSCAPES_CLASSES
from segkit.datasets.converters import convert_cityscapes
from segkit.evaluation.metrics import CityscapesMetric, IoUMetric
from segkit.evaluation.metrics.cityscapes_metric import evaluate_official
from segkit.utils.errors import ConfigError, DataError

from tests.dataset_trees import make_cityscapes_tree

META = dict(classes=CITYSCAPES_CLASSES)


@pytest.fixture(scope='module')
def val_samples(tmp_path_factory):
    """Val samples (dicts as the evaluator passes them) with imperfect predictions."""
    root = str(tmp_path_factory.mktemp('cs'))
    make_cityscapes_tree(root)
    convert_cityscapes(osp.join(root, 'cityscapes'))
    dataset = CityscapesDataset(
        data_root=osp.join(root, 'cityscapes'), serialize_data=False,
        data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')])
    rng = np.random.default_rng(0)
    samples = []
    for index in range(len(dataset)):
        item = dataset[index]
        gt = item['gt_seg_map']
        pred = np.where(gt == 255, rng.integers(0, 19, gt.shape), gt)  # any class where ignored
        noise = rng.random(gt.shape) < 0.2
        pred[noise] = rng.choice([0, 2, 10, 11, 13], int(noise.sum()))  # classes in the gt
        pred[:, :6] = 5  # a class missing from the ground truth: pole (false positives only)
        samples.append(dict(img_path=item['img_path'], seg_map_path=item['seg_map_path'],
                            gt_sem_seg=dict(data=torch.from_numpy(gt)[None]),
                            pred_sem_seg=dict(data=torch.from_numpy(pred)[None])))
    return samples


def hand_iou(samples) -> np.ndarray:
    gts = np.concatenate([s['gt_sem_seg']['data'].numpy().ravel() for s in samples])
    preds = np.concatenate([s['pred_sem_seg']['data'].numpy().ravel() for s in samples])
    valid = gts != 255
    gts, preds = gts[valid], preds[valid]
    iou = np.full(19, np.nan)
    for c in range(19):
        union = np.count_nonzero((gts == c) | (preds == c))
        if union:
            iou[c] = np.count_nonzero((gts == c) & (preds == c)) / union
    return iou


def run(metric, samples) -> dict:
    metric.dataset_meta = META
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def test_official_class_ious_equal_iou_metric_and_hand_computation(val_samples, tmp_path):
    out_dir = str(tmp_path / 'preds')
    official_metric = CityscapesMetric(output_dir=out_dir)
    our_metric = IoUMetric(iou_metrics=['mIoU'])
    official = run(official_metric, val_samples)
    ours = run(our_metric, val_samples)
    expected = hand_iou(val_samples)
    assert official['mIoU'] == ours['mIoU'] == round(float(np.nanmean(expected)) * 100, 2)
    assert list(official_metric.per_class) == list(CITYSCAPES_CLASSES)
    assert {name: values['IoU'] for name, values in official_metric.per_class.items()} == {
        name: values['IoU'] for name, values in our_metric.per_class.items()}
    assert official_metric.per_class['wall']['IoU'] is None
    # iIoU: instance classes only (car), not stuff (road)
    assert 0 < official_metric.per_class['car']['iIoU'] <= 100
    assert official_metric.per_class['road']['iIoU'] is None
    assert set(official) == {'mIoU', 'mIoU_category', 'iIoU', 'iIoU_category'}
    assert 0 < official['iIoU'] <= 100

    pred_files = sorted(os.listdir(out_dir))
    assert pred_files == ['frankfurt_000000_000294_leftImg8bit.png',
                          'frankfurt_000000_000576_leftImg8bit.png']
    gt_files = [s['seg_map_path'].replace('labelTrainIds', 'labelIds') for s in val_samples]
    scores = evaluate_official([osp.join(out_dir, f) for f in pred_files], gt_files,
                               instance_level=False)
    for c, name in enumerate(CITYSCAPES_CLASSES):
        assert scores['classScores'][name] == pytest.approx(expected[c], abs=1e-12, nan_ok=True)
    # pole: predicted, never in the gt -> 0; wall: predicted only on ignored pixels -> NaN.
    assert scores['classScores']['pole'] == 0 and np.isnan(scores['classScores']['wall'])
    # Written predictions hold label ids: road is 7, pole is 17.
    written = np.asarray(Image.open(osp.join(out_dir, pred_files[0])))
    train_ids = val_samples[0]['pred_sem_seg']['data'][0].numpy()
    assert written[train_ids == 0].tolist() == [7] * int((train_ids == 0).sum())
    assert (written[:, :6] == 17).all()


def test_temporary_predictions_are_removed(val_samples, monkeypatch, tmp_path):
    monkeypatch.setattr('tempfile.tempdir', str(tmp_path))
    metrics = run(CityscapesMetric(instance_level=False), val_samples)
    assert set(metrics) == {'mIoU', 'mIoU_category'}
    assert os.listdir(tmp_path) == []


def test_format_only_writes_submission_without_ground_truth(val_samples, tmp_path):
    samples = [dict(s, seg_map_path=None) for s in val_samples]
    out_dir = str(tmp_path / 'submit')
    assert run(CityscapesMetric(output_dir=out_dir, format_only=True), samples) == {}
    assert len(os.listdir(out_dir)) == 2
    with pytest.raises(ConfigError, match='format_only=True needs output_dir'):
        CityscapesMetric(format_only=True)


def test_missing_official_ground_truth(val_samples, tmp_path):
    sample = dict(val_samples[0], seg_map_path=str(tmp_path / 'x_gtFine_labelTrainIds.png'))
    with pytest.raises(DataError, match=r'needs the official ground truth .*x_gtFine_labelIds'):
        run(CityscapesMetric(output_dir=str(tmp_path)), [sample])
    sample = dict(val_samples[0], seg_map_path=str(tmp_path / 'x.png'))
    with pytest.raises(DataError, match=r"label of .* is '.*x.png'; expected a \*_gtFine_label"):
        run(CityscapesMetric(output_dir=str(tmp_path)), [sample])


def test_official_evaluator_errors_become_data_errors(tmp_path):
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / 'pred.png')
    Image.fromarray(np.zeros((4, 5), np.uint8)).save(tmp_path / 'a_gtFine_labelIds.png')
    with pytest.raises(DataError, match='evaluation failed: ERROR: Image widths of'):
        evaluate_official([str(tmp_path / 'pred.png')], [str(tmp_path / 'a_gtFine_labelIds.png')],
                          instance_level=False)


def test_wrong_dataset(val_samples):
    metric = CityscapesMetric()
    metric.dataset_meta = dict(classes=('a', 'b'))
    with pytest.raises(ConfigError, match='needs the 19 Cityscapes train ids'):
        metric.process({}, val_samples)
