"""Every shipped config loads strictly, builds, and runs a tiny input through model and pipelines."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import Compose
from mmengine.structures import PixelData
from PIL import Image

from segkit.config import load_config
from segkit.registry import MODELS, TRANSFORMS

from tests.helpers import REPO, make_samples

CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', '*.py')))
PIPELINES_RUN = set()  # configs share pipelines: run each distinct one once


def test_configs_found():
    assert len(CONFIGS) >= 5, f'expected the shipped configs under configs/, found {CONFIGS}'


def write_sample(tmp_path, num_classes: int, size=(96, 128)) -> dict:
    rng = np.random.default_rng(0)
    img_path = str(tmp_path / 'img.png')
    seg_path = str(tmp_path / 'seg.png')
    cv2.imwrite(img_path, rng.integers(0, 255, (*size, 3), dtype=np.uint8))
    label = rng.integers(0, num_classes, size, dtype=np.uint8)
    label[:4] = 255
    Image.fromarray(label, mode='L').save(seg_path)
    return dict(img_path=img_path, seg_map_path=seg_path, reduce_zero_label=False,
                num_classes=num_classes, ignore_index=255, seg_fields=[])


def num_classes_of(cfg) -> int:
    return cfg.model.decode_head.num_classes


def model_samples(cfg, labels: torch.Tensor) -> list:
    """Samples of ``labels``, with edge labels when the train pipeline makes them."""
    samples = make_samples(labels)
    dataset = cfg.train_dataloader.dataset
    for step in dataset.get('pipeline') or dataset.datasets[0].pipeline:
        if step['type'] == 'GenerateEdge':
            for sample, label in zip(samples, labels):
                edge = TRANSFORMS.build(step)(dict(gt_seg_map=label.numpy().astype(np.uint8)))
                sample.gt_edge_map = PixelData(data=torch.from_numpy(edge['gt_edge_map'])[None])
    return samples


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_config_builds_and_runs(path, tmp_path):
    cfg = load_config(path)
    num_classes = num_classes_of(cfg)
    for key in ('train_dataloader', 'val_dataloader'):
        steps = cfg[key].dataset.get('pipeline') or cfg[key].dataset.datasets[0].pipeline
        if repr((steps, num_classes)) in PIPELINES_RUN:
            continue
        PIPELINES_RUN.add(repr((steps, num_classes)))
        packed = Compose(steps)(write_sample(tmp_path, num_classes))
        assert packed['inputs'].shape[0] == 3
        assert packed['data_samples'].gt_sem_seg.data.max() <= 255

    cfg.model.data_preprocessor.size = None  # no padding to the crop size: a tiny input
    model = MODELS.build(cfg.model)
    size = (64, 64)
    inputs = torch.randint(0, 255, (2, 3, *size), dtype=torch.uint8)
    labels = torch.randint(0, num_classes, (2, *size))
    data = model.data_preprocessor(
        dict(inputs=list(inputs), data_samples=model_samples(cfg, labels)), training=True)
    model.train()
    losses = model(data['inputs'], data['data_samples'], mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()

    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=list(inputs[:1]),
                                            data_samples=make_samples(labels[:1])))
        preds = model(data['inputs'], data['data_samples'], mode='predict')
    assert preds[0].pred_sem_seg.data.shape[-2:] == size
    assert int(preds[0].pred_sem_seg.data.max()) < num_classes


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_config_keeps_the_best_checkpoint_by_a_reported_metric(path):
    cfg = load_config(path)
    checkpoint = cfg.default_hooks.checkpoint
    assert (checkpoint.save_best, checkpoint.rule) == ('mIoU', 'greater')
    evaluators = cfg.val_evaluator if isinstance(cfg.val_evaluator, list) else [cfg.val_evaluator]
    assert any(e.type == 'IoUMetric' and 'mIoU' in e.get('iou_metrics', ['mIoU'])
               for e in evaluators)
    # every validated iteration is also saved as iter_N.pth, so the best file (weights only)
    # is never the only copy of a state
    assert cfg.train_cfg.val_interval % checkpoint.interval == 0
    assert dict(type='MetricsFileHook') in cfg.custom_hooks
