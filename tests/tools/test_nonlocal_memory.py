import os.path as osp
import runpy

from tests.helpers import REPO

TOOL = osp.join(REPO, 'tools', 'analysis', 'nonlocal_memory.py')


def test_prints_where_the_attention_passes_1_gib(monkeypatch, capsys):
    monkeypatch.setattr('sys.argv', [TOOL])
    runpy.run_path(TOOL, run_name='__main__')
    lines = capsys.readouterr().out.splitlines()
    rows = {tuple(line.split()[:2]): line for line in lines if line.startswith(('fp32', 'bf16'))}
    # fp32: 128x128 (16384 positions) is exactly 1 GiB, 129x129 the first above it.
    assert '129x129 (1.03 GiB)' in rows['fp32', 'no']
    assert '182x182' in rows['fp32', 'yes'] and '153x153' in rows['bf16', 'no']
    whole = next(line for line in lines if line.startswith('Cityscapes whole'))
    assert whole.split()[3:5] == ['128x256', '4.00']


def test_limit_and_batch_size(monkeypatch, capsys):
    monkeypatch.setattr('sys.argv', [TOOL, '--limit-gib', '0.25', '--batch-size', '4'])
    runpy.run_path(TOOL, run_name='__main__')
    out = capsys.readouterr().out
    assert 'batch 4, limit 0.25 GiB' in out
    assert '65x65' in out  # 4 images x 64^2 x 64^2 x 4 bytes = 0.25 GiB exactly
