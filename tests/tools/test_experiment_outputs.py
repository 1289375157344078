"""What a training and a test leave behind: best checkpoint, metrics files, a quiet log."""
import csv
import glob
import json
import os.path as osp

import torch

from segkit.analysis import load_scalars, series
from tests.tiny_training import cli_options, run_tool, tiny_options

# Lines that read like failures; none belongs in the output of a normal run.
NOISE = ('Failed to search registry', '"FileClient" will be deprecated', 'HardDiskBackend',
         'gpuGetDeviceCount', 'USDT:', 'Traceback', 'WARNING', 'Warning:')


def test_training_keeps_best_and_metrics_lines_and_test_writes_them(demo_root, tmp_path):
    work_dir = str(tmp_path / 'work')
    options = tiny_options(demo_root, 'outputs', **{
        'train_cfg.val_interval': 1, 'default_hooks.checkpoint.save_best': 'mIoU',
        'default_hooks.checkpoint.rule': 'greater'})
    proc = run_tool('tools/train.py', 'configs/quickstart.py', '--work-dir', work_dir,
                    '--cfg-options', *cli_options(options))
    assert proc.returncode == 0, proc.stderr[-3000:]
    output = proc.stdout + proc.stderr
    assert [line for line in output.splitlines() if any(n in line for n in NOISE)] == []

    [metrics_file] = glob.glob(osp.join(work_dir, '*', 'metrics.jsonl'))
    records = [json.loads(line) for line in open(metrics_file)]
    assert [r['iter'] for r in records] == [1, 2]
    classes = ['background', 'horizontal', 'vertical', 'checker', 'diagonal']
    for record in records:
        assert set(record['metrics']) == {'aAcc', 'mAcc', 'mIoU'}
        assert list(record['per_class']) == classes
        assert set(record['per_class']['background']) == {'IoU', 'Acc'}
    # the same values as mmengine's scalar log, which the curve tool merges per iteration
    assert series(load_scalars(work_dir), 'mIoU') == ([1, 2], [r['metrics']['mIoU']
                                                                for r in records])
    assert series(load_scalars(metrics_file), 'IoU/background')[1] == [
        r['per_class']['background']['IoU'] for r in records]

    best = max(records, key=lambda r: r['metrics']['mIoU'])  # the first of equals is kept
    best_file = osp.join(work_dir, f"best_mIoU_iter_{best['iter']}.pth")
    assert sorted(osp.basename(p) for p in glob.glob(osp.join(work_dir, '*.pth'))) == sorted(
        {osp.basename(best_file), 'iter_1.pth', 'iter_2.pth'})
    assert 'state_dict' in torch.load(best_file, weights_only=True)

    out = str(tmp_path / 'metrics.csv')
    proc = run_tool('tools/test.py', 'configs/quickstart.py', best_file, '--work-dir',
                    str(tmp_path / 'test'), '--out-metrics', out,
                    '--cfg-options', *cli_options(options))
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(out, newline='') as f:
        rows = list(csv.DictReader(f))
    assert [row['class'] for row in rows] == [*classes, 'overall']
    assert float(rows[-1]['IoU']) == best['metrics']['mIoU']
    assert float(rows[-1]['aAcc']) == best['metrics']['aAcc']
    for row in rows[:-1]:
        expected = best['per_class'][row['class']]['IoU']
        assert row['IoU'] == ('' if expected is None else str(expected))
