"""mmengine's EarlyStoppingHook on mIoU, added as documented, on the demo data."""
import glob
import json
import os.path as osp

from segkit.apis import run_train
from tests.tiny_training import QUICKSTART, tiny_options


def test_early_stopping_stops_keeps_the_best_checkpoint_and_says_why(demo_root, tmp_path):
    work_dir = str(tmp_path / 'work')
    # min_delta 100 (mIoU is a percentage): no validation after the first improves enough,
    # so the training stops at the validation `patience` after the first.
    options = tiny_options(demo_root, 'early', **{
        'train_cfg.max_iters': 6, 'train_cfg.val_interval': 1,
        'default_hooks.checkpoint.save_best': 'mIoU',
        'default_hooks.early_stopping.type': 'EarlyStoppingHook',
        'default_hooks.early_stopping.monitor': 'mIoU',
        'default_hooks.early_stopping.patience': 2,
        'default_hooks.early_stopping.min_delta': 100})
    runner = run_train(QUICKSTART, work_dir=work_dir, cfg_options=options)
    assert runner.iter == 3
    [run_dir] = glob.glob(osp.join(work_dir, '2*'))
    records = [json.loads(line) for line in open(osp.join(run_dir, 'metrics.jsonl'))]
    assert [r['iter'] for r in records] == [1, 2, 3]
    best = max(records, key=lambda r: r['metrics']['mIoU'])['iter']  # first of equals kept
    best_file = osp.join(work_dir, f'best_mIoU_iter_{best}.pth')
    assert osp.isfile(best_file) and osp.isfile(osp.join(work_dir, 'iter_3.pth'))
    assert not glob.glob(osp.join(work_dir, 'iter_4.pth'))

    log = open(osp.join(run_dir, f'{osp.basename(run_dir)}.log')).read()
    assert 'the monitored metric did not improve in the last 2 records' in log
    assert (f'training stopped early at iteration 3 of 6, as a hook asked (its reason is '
            f'logged above); the best checkpoint is {best_file}') in log
