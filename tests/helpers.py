"""Helpers shared by tests: paths and data samples."""
import os.path as osp

import torch
from mmengine.structures import PixelData

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
