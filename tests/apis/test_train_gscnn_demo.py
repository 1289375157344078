"""The Gated-SCNN demo config trains a few iterations and validates with mIoU and boundary F."""
import math
import os.path as osp

from segkit.apis import run_train

from tests.helpers import REPO


def test_gscnn_demo_trains_and_reports_miou_and_boundary_f(demo_root, tmp_path, one_thread):
    options = {
        'optim_wrapper.type': 'OptimWrapper',  # fp32: bf16 autocast is slow on CPU
        'train_cfg.max_iters': 2,
        'train_cfg.val_interval': 2,
        'default_hooks.logger.interval': 1,
        'default_hooks.checkpoint.interval': 1000,
        'default_hooks.checkpoint.save_last': False,
        'default_hooks.checkpoint.save_best': None,
        'model.data_preprocessor.size': (64, 64),
        'train_dataloader.batch_size': 2,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_dataloader.dataset.pipeline': [
            dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
            dict(type='RandomFlip', prob=0.5), dict(type='GenerateEdge', radius=2),
            dict(type='PackSegInputs')],
        'val_dataloader.dataset.indices': 2,
        'val_dataloader.num_workers': 0,
        'val_dataloader.persistent_workers': False,
        'visualizer.name': f'visualizer_{tmp_path.name}',
    }
    for split in ('train', 'val'):
        for key, value in dict(data_root=demo_root, num_train=24, num_val=8,
                               image_size=64).items():
            options[f'{split}_dataloader.dataset.{key}'] = value
    runner = run_train(osp.join(REPO, 'configs', 'gscnn_r18_demo.py'), work_dir=str(tmp_path),
                       cfg_options=options)
    assert runner.iter == 2
    hub = runner.message_hub
    for loss in ('loss_ce', 'loss_edge', 'loss_att', 'loss_dual'):
        assert math.isfinite(hub.get_scalar(f'train/decode.{loss}').current())
    for key in ('mIoU', 'mBF@3px', 'mBF@5px', 'mBF@9px', 'mBF@12px'):
        value = hub.get_scalar(f'val/{key}').current()
        assert 0 <= value <= 100, (key, value)
