"""Training with --amp --channels-last: NHWC weights, the option saved with the config, and
checkpoints that load into an NCHW model."""
import os.path as osp

import torch

from segkit.apis import init_model, run_train

from tests.tiny_training import QUICKSTART, tiny_options


def test_amp_channels_last_training(demo_root, tmp_path):
    work_dir = str(tmp_path)
    options = tiny_options(demo_root, 'channels_last')
    runner = run_train(QUICKSTART, work_dir=work_dir, amp=True, channels_last=True,
                       cfg_options=options)
    stem = runner.model.backbone.stem[0].weight
    assert stem.is_contiguous(memory_format=torch.channels_last)
    assert 'channels_last=True' in open(osp.join(work_dir, 'quickstart.py')).read()
    assert runner.message_hub.get_scalar('train/decode.loss_ce').current() > 0

    nchw = init_model(QUICKSTART, checkpoint=osp.join(work_dir, 'iter_2.pth'),
                      cfg_options={k: v for k, v in options.items() if k.startswith('model.')})
    assert not nchw.backbone.stem[0].weight.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(nchw.backbone.stem[0].weight, stem, rtol=0, atol=0)
