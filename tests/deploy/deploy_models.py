"""A quarter-width quickstart model on the demo data whose random weights predict several
classes, for deployment tests."""
import os.path as osp

import torch

from segkit.config import load_config
from segkit.registry import MODELS
from tests.demo_model import demo_config

TINY = {'model.backbone.base_channels': 16, 'model.backbone.stem_channels': 16,
        'model.decode_head.in_channels': 128, 'model.decode_head.channels': 16}


def tiny_model_files(demo_root: str, folder: str, options: dict = None) -> tuple:
    """``(config, checkpoint)``: the classifier's weights are scaled up so the random model
    predicts different classes in different places (its mIoU is not a constant)."""
    config = demo_config(demo_root, osp.join(folder, 'tiny_quickstart.py'),
                         dict(TINY, **(options or {})))
    torch.manual_seed(0)
    model = MODELS.build(load_config(config).model)
    with torch.no_grad():
        model.decode_head.conv_seg.weight.mul_(20)
    checkpoint = osp.join(folder, 'tiny.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)
    return config, checkpoint
