"""Helpers shared by tests: paths, data samples and a progress-bar recorder."""
import os.path as osp

import torch
from mmengine.structures import PixelData
from mmengine.utils import ProgressBar

from segkit.structures import SegDataSample

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def make_samples(labels: torch.Tensor) -> list:
    """SegDataSamples holding ``(N, H, W)`` labels, with image shapes in the metainfo."""
    samples = []
    for label in labels:
        shape = tuple(label.shape)
        sample = SegDataSample(metainfo=dict(img_shape=shape, ori_shape=shape, pad_shape=shape))
        sample.gt_sem_seg = PixelData(data=label[None].long())
        samples.append(sample)
    return samples


def record_progress(monkeypatch, module) -> list:
    """Replace ``module.ProgressBar`` by one that records ``'done/total'`` at every update;
    returns the list it appends to."""
    progress = []

    class RecordingProgressBar(ProgressBar):
        def update(self, num_tasks=1):
            progress.append(f'{self.completed + num_tasks}/{self.task_num}')
            super().update(num_tasks)

    monkeypatch.setattr(module, 'ProgressBar', RecordingProgressBar)
    return progress
