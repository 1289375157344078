"""End to end through the command-line tools: train, test, resume, on a tiny demo split."""
import glob
import json
import os.path as osp
import re
import subprocess
import sys

import torch

from tests.helpers import REPO


def demo_options(demo_root: str, max_iters: int) -> list:
    data = f'data_root={demo_root} num_train=24 num_val=8 image_size=64'.split()
    opts = [f'{loader}.dataset.{kv}' for loader in ('train_dataloader', 'val_dataloader',
                                                    'test_dataloader') for kv in data]
    return opts + [f'train_cfg.max_iters={max_iters}', 'train_cfg.val_interval=2',
                   'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
                   'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
                   'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
                   'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
                   'test_dataloader.persistent_workers=False']


def run_tool(*args) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def last_val_miou(work_dir: str) -> float:
    scalars = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    records = [json.loads(line) for path in scalars for line in open(path)]
    return [r['mIoU'] for r in records if 'mIoU' in r][-1]


def test_train_test_and_resume(demo_root, tmp_path):
    work_dir = str(tmp_path / 'work')
    run_tool('tools/train.py', 'configs/quickstart.py', '--work-dir', work_dir,
             '--cfg-options', *demo_options(demo_root, max_iters=4))
    checkpoint = osp.join(work_dir, 'iter_4.pth')
    assert osp.isfile(checkpoint)
    assert osp.isfile(osp.join(work_dir, 'quickstart.py')), 'resolved config saved'
    # segkit checkpoints load with PyTorch's default safe unpickler, no extra allowlist.
    state = torch.load(checkpoint, weights_only=True)
    assert state['meta']['iter'] == 4 and 'optimizer' in state

    proc = run_tool('tools/test.py', 'configs/quickstart.py', checkpoint, '--work-dir',
                    str(tmp_path / 'test'), '--cfg-options', *demo_options(demo_root, 4))
    assert 'task/s' in proc.stdout, 'a progress bar while testing'
    tested = float(re.findall(r'mIoU: ([\d.]+)', proc.stdout + proc.stderr)[-1])
    assert abs(tested - last_val_miou(work_dir)) < 1e-6

    proc = run_tool('tools/train.py', 'configs/quickstart.py', '--work-dir', work_dir,
                    '--resume', '--cfg-options', *demo_options(demo_root, max_iters=6))
    log = proc.stdout + proc.stderr
    assert 'resumed epoch: 0, iter: 4' in log
    assert 'Iter(train) [5/6]' in log and 'Iter(train) [1/6]' not in log
    assert torch.load(osp.join(work_dir, 'iter_6.pth'), weights_only=True)['meta']['iter'] == 6


def test_user_mistake_is_one_line_without_traceback(tmp_path):
    proc = subprocess.run([sys.executable, 'tools/train.py', 'configs/quickstart.py',
                           '--cfg-options', 'model.decode_head.drop_out_ratio=0.2'],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert 'Traceback' not in proc.stderr
    assert "model.decode_head.drop_out_ratio" in proc.stderr and 'dropout_ratio' in proc.stderr
