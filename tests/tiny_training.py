"""Options for tiny training runs of configs/quickstart.py on the demo_root data (64x64)."""
import os.path as osp
import subprocess
import sys

from tests.helpers import REPO

QUICKSTART = osp.join(REPO, 'configs', 'quickstart.py')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def tiny_options(data_root: str, name: str, **overrides) -> dict:
    """cfg-options: the demo data at ``data_root``, no worker processes, a quarter-width
    ResNetV1c-18, fp32, 2 iterations of batch 2, a checkpoint and a log line every iteration,
    no best checkpoint (mmengine formats the whole config for every checkpoint: ~0.5 s).

    ``name`` names the experiment, so in-process runs do not share mmengine's message hub
    and visualizer (both are global instances looked up by name).
    """
    options = {'experiment_name': name, 'visualizer.name': name}
    for loader in LOADERS:
        options.update({f'{loader}.dataset.data_root': data_root,
                        f'{loader}.dataset.num_train': 24, f'{loader}.dataset.num_val': 8,
                        f'{loader}.dataset.image_size': 64, f'{loader}.num_workers': 0,
                        f'{loader}.persistent_workers': False})
    options.update({
        'model.backbone.base_channels': 16, 'model.backbone.stem_channels': 16,
        'model.decode_head.in_channels': 128, 'model.decode_head.channels': 16,
        'model.data_preprocessor.size': (64, 64),
        'train_dataloader.dataset.pipeline.3.crop_size': (64, 64),
        'train_dataloader.batch_size': 2, 'optim_wrapper.type': 'OptimWrapper',
        'train_cfg.max_iters': 2, 'train_cfg.val_interval': 2,
        'default_hooks.logger.interval': 1, 'default_hooks.checkpoint.interval': 1,
        'default_hooks.checkpoint.save_best': None})
    options.update(overrides)
    return options


def cli_options(options: dict) -> list:
    """``options`` as ``--cfg-options`` arguments."""
    def text(value):
        if isinstance(value, (list, tuple)):
            inner = ','.join(text(v) for v in value)
            return f'[{inner}]' if isinstance(value, list) else f'({inner})'
        return str(value)
    return [f'{key}={text(value)}' for key, value in options.items()]


def run_tool(*args, env=None) -> subprocess.CompletedProcess:
    """Run ``python args...`` in the repository, capturing its output."""
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300, env=env)
