"""tools/test.py --fast (precision auto, channels-last, BN folded) end to end on the demo data."""
import re

import torch

from segkit.config import load_config
from segkit.registry import MODELS
from tests.helpers import REPO
from tests.tools.test_train_test_e2e import demo_options, run_tool


def test_speed_flags_match_fp32(demo_root, tmp_path):
    torch.manual_seed(0)
    model = MODELS.build(load_config(f'{REPO}/configs/quickstart.py').model)
    checkpoint = str(tmp_path / 'model.pth')
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    mious, logs = [], []
    for flags in ([], ['--fast']):
        proc = run_tool('tools/test.py', 'configs/quickstart.py', checkpoint, *flags,
                        '--work-dir', str(tmp_path / 'test'),
                        '--cfg-options', *demo_options(demo_root, 4))
        logs.append(proc.stdout + proc.stderr)
        mious.append(float(re.findall(r'mIoU: ([\d.]+)', logs[-1])[-1]))
    assert abs(mious[0] - mious[1]) < 1.0, mious
    assert 'inference precision' not in logs[0]
    assert re.search(r'inference precision: (bf16|mixed precision requested, running fp32)'
                     r'.*; device: .*native bf16 (yes|no)', logs[1])


def test_fold_bn_flag_and_its_old_name():
    from tests.tools.tool_loader import load_tool
    tool = load_tool('test.py')
    for flag in ('--fold-bn', '--fuse-conv-bn'):
        assert tool.parse_args(['config.py', 'model.pth', flag]).fold_bn is True
    assert tool.parse_args(['config.py', 'model.pth']).fold_bn is False
