"""A head with two losses trains on the demo data and logs each under its own name."""
import json
import os.path as osp

from segkit.apis import run_train

from tests.helpers import REPO


def test_ce_plus_dice_trains_and_logs_both(demo_root, tmp_path, one_thread):
    options = {
        'model.decode_head.loss_decode': [
            dict(type='CrossEntropyLoss', loss_weight=1.0),
            dict(type='DiceLoss', loss_weight=0.5),
        ],
        'model.decode_head.sampler': dict(type='OHEMPixelSampler', thresh=0.7, min_kept=500),
        'optim_wrapper.type': 'OptimWrapper',  # fp32: bf16 autocast is slow on CPU
        'train_cfg.max_iters': 3,
        'train_cfg.val_interval': 1000,
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
            dict(type='RandomCrop', crop_size=(64, 64)), dict(type='PackSegInputs')],
        'val_dataloader.dataset.indices': 2,  # the run ends with a validation
        'val_dataloader.num_workers': 0,
        'val_dataloader.persistent_workers': False,
        # A fresh visualizer: mmengine reuses an existing instance of the same name, which
        # would write this run's scalars into an earlier run's directory.
        'visualizer.name': f'visualizer_{tmp_path.name}',
    }
    for split in ('train', 'val'):
        for key, value in dict(data_root=demo_root, num_train=24, num_val=8,
                               image_size=64).items():
            options[f'{split}_dataloader.dataset.{key}'] = value
    runner = run_train(osp.join(REPO, 'configs', 'quickstart.py'), work_dir=str(tmp_path),
                       cfg_options=options)
    assert runner.iter == 3
    scalars = osp.join(runner.log_dir, 'vis_data', 'scalars.json')
    records = [json.loads(line) for line in open(scalars)]
    logged = [r for r in records if 'decode.loss_ce' in r]
    assert len(logged) == 3
    for record in logged:
        assert record['decode.loss_dice'] > 0 and record['decode.loss_ce'] > 0
        assert abs(record['loss'] - record['decode.loss_ce'] - record['decode.loss_dice']) < 1e-3
