"""A quickstart model on the tiny demo data, for tests of inference and analysis tools."""
import os.path as osp

import torch

from segkit.config import load_config
from segkit.registry import MODELS

from tests.helpers import REPO

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def demo_config(demo_root: str, path: str, options: dict = None,
                base: str = osp.join(REPO, 'configs', 'quickstart.py')) -> str:
    """Write the demo-data config ``base`` (configs/quickstart.py), pointed at ``demo_root``
    (24 + 8 images of 64x64, no worker processes) and updated by ``options``, to ``path``;
    return ``path``."""
    merged = {}
    for loader in LOADERS:
        merged.update({f'{loader}.dataset.data_root': demo_root,
                       f'{loader}.dataset.num_train': 24, f'{loader}.dataset.num_val': 8,
                       f'{loader}.dataset.image_size': 64, f'{loader}.num_workers': 0,
                       f'{loader}.persistent_workers': False})
    merged.update(options or {})
    cfg = load_config(base, cfg_options=merged)
    cfg.dump(path)
    return path


def random_checkpoint(config: str, path: str, seed: int = 0) -> str:
    """Save the weights of a randomly initialised model of ``config`` to ``path``."""
    torch.manual_seed(seed)
    model = MODELS.build(load_config(config).model)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


def demo_model_files(demo_root: str, folder: str, options: dict = None) -> tuple:
    """``(config, checkpoint)`` of a random quickstart model on the demo data, in ``folder``."""
    config = demo_config(demo_root, osp.join(folder, 'quickstart_demo.py'), options)
    return config, random_checkpoint(config, osp.join(folder, 'random.pth'))
