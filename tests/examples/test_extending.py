"""The examples of docs/extending.md: a new head and a new backbone, each a few lines, each
imported by a config (custom_imports) and trained one step, then validated; the docs show
them as they are."""
import inspect
import math
import os.path as osp
import textwrap

import pytest
import torch

from segkit.apis.train import run_train
from segkit.config import load_config
from segkit.utils.errors import ConfigError
from tests.examples import tiny_backbone, tiny_head
from tests.examples.tiny_backbone import TinyBackbone
from tests.examples.tiny_head import TinyHead
from tests.helpers import REPO
from tests.tiny_training import QUICKSTART, tiny_options


def code_lines(cls) -> int:
    """Lines of ``cls``'s source without its docstring and blank lines."""
    source = inspect.getsource(cls)
    doc = inspect.getdoc(cls)
    body = source.replace(f'"""{cls.__doc__}"""', '') if doc else source
    return sum(1 for line in body.splitlines() if line.strip())


def train_one_step(tmp_path, demo_root, name: str, body: str, drop: tuple = ()):
    """Train ``configs/quickstart.py`` updated by ``body`` one step on the demo data, then
    validate; the tiny-training options starting with one of ``drop`` are left out."""
    config = tmp_path / f'{name}.py'
    config.write_text(f'_base_ = {QUICKSTART!r}\n' + textwrap.dedent(body))
    options = tiny_options(demo_root, name, **{'train_cfg.max_iters': 1,
                                              'train_cfg.val_interval': 1})
    options = {k: v for k, v in options.items() if not k.startswith(drop)}
    return run_train(str(config), work_dir=str(tmp_path / 'work'), cfg_options=options)


def trained_and_validated(runner, module_name: str) -> None:
    checkpoint = torch.load(osp.join(runner.work_dir, 'iter_1.pth'), weights_only=False)
    assert checkpoint['meta']['iter'] == 1
    assert any(key.startswith(module_name) for key in checkpoint['state_dict'])
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert math.isfinite(loss) and loss > 0
    assert 0 <= runner.message_hub.get_scalar('val/mIoU').current() <= 100


def test_a_new_head_is_a_few_lines_and_trains_from_a_config(tmp_path, demo_root):
    assert code_lines(TinyHead) == 8
    runner = train_one_step(tmp_path, demo_root, 'tiny_head', """
        custom_imports = dict(imports=['tests.examples.tiny_head'])
        model = dict(decode_head=dict(_delete_=True, type='TinyHead', in_channels=128,
                                      in_index=3, channels=16, num_classes=5,
                                      norm_cfg=dict(type='BN')))
        """)
    assert isinstance(runner.model.decode_head, TinyHead)
    trained_and_validated(runner, 'decode_head.conv.')


def test_a_new_backbone_is_a_few_lines_and_trains_from_a_config(tmp_path, demo_root):
    assert code_lines(TinyBackbone) == 15
    runner = train_one_step(tmp_path, demo_root, 'tiny_backbone', """
        custom_imports = dict(imports=['tests.examples.tiny_backbone'])
        model = dict(backbone=dict(_delete_=True, type='TinyBackbone', channels=(8, 16, 32),
                                   norm_cfg=dict(type='BN')),
                     decode_head=dict(in_channels=32, in_index=2))
        """, drop=('model.backbone.', 'model.decode_head.in_channels'))
    assert isinstance(runner.model.backbone, TinyBackbone)
    trained_and_validated(runner, 'backbone.stages.')


@pytest.mark.parametrize('module', [tiny_head, tiny_backbone])
def test_the_docs_show_the_examples_as_they_are(module):
    with open(osp.join(REPO, 'docs', 'extending.md'), encoding='utf-8') as file:
        docs = file.read()
    code = inspect.getsource(module).split('"""', 2)[2].lstrip('\n')  # without the docstring
    assert f'```python\n{code}```' in docs


def test_a_new_heads_keys_are_checked_at_config_load(tmp_path):
    config = tmp_path / 'typo.py'
    config.write_text(f'_base_ = {QUICKSTART!r}\n' + textwrap.dedent("""
        custom_imports = dict(imports=['tests.examples.tiny_head'])
        model = dict(decode_head=dict(_delete_=True, type='TinyHead', in_channels=128,
                                      chanels=16, num_classes=5))
        """))
    with pytest.raises(ConfigError, match=r"unknown key 'model\.decode_head\.chanels' for "
                                          r"TinyHead; did you mean 'channels'\?$"):
        load_config(str(config))
