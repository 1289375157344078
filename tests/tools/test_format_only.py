"""tools/test.py --format-only --out-dir writes a Cityscapes submission without labels."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from segkit.apis import run_test
from segkit.config import load_config
from segkit.registry import MODELS
from segkit.utils.errors import ConfigError

from tests.dataset_trees import CITYSCAPES_SIZE, make_cityscapes_tree
from tests.helpers import REPO

CONFIG = '''_base_ = [{quickstart!r}]
model = dict(decode_head=dict(num_classes=19))
test_dataloader = dict(
    _delete_=True, batch_size=1, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(type='CityscapesDataset', data_root={root!r}, test_mode=True,
                 data_prefix=dict(img_path='leftImg8bit/test', seg_map_path='gtFine/test'),
                 pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                           dict(type='PackSegInputs')]))
test_evaluator = dict(_delete_=True, type='CityscapesMetric')
'''


def test_format_only_submission(tmp_path):
    make_cityscapes_tree(str(tmp_path))  # not converted: the test split has no train-id labels
    config = tmp_path / 'cs_test.py'
    config.write_text(CONFIG.format(quickstart=os.path.join(REPO, 'configs', 'quickstart.py'),
                                    root=str(tmp_path / 'cityscapes')))
    torch.manual_seed(0)
    model = MODELS.build(load_config(str(config)).model)
    checkpoint = str(tmp_path / 'model.pth')
    torch.save(dict(state_dict=model.state_dict()), checkpoint)

    out_dir = tmp_path / 'submit'
    proc = subprocess.run([sys.executable, 'tools/test.py', str(config), checkpoint,
                           '--work-dir', str(tmp_path / 'work'), '--format-only',
                           '--out-dir', str(out_dir)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert os.listdir(out_dir) == ['berlin_000000_000019_leftImg8bit.png']
    pred = np.asarray(Image.open(out_dir / 'berlin_000000_000019_leftImg8bit.png'))
    label_ids = {7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33}
    assert pred.shape == CITYSCAPES_SIZE and set(np.unique(pred).tolist()) <= label_ids


def test_format_only_needs_a_metric_that_writes_files(tmp_path):
    config = os.path.join(REPO, 'configs', 'quickstart.py')
    with pytest.raises(ConfigError, match='--format-only needs --out-dir'):
        run_test(config, 'unused.pth', work_dir=str(tmp_path), format_only=True)
    with pytest.raises(ConfigError, match=r'test_evaluator IoUMetric of .*quickstart.py writes '
                                          r'no results files'):
        run_test(config, 'unused.pth', work_dir=str(tmp_path), format_only=True,
                 out_dir=str(tmp_path))
