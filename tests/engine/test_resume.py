"""A training killed with SIGKILL mid-run and resumed ends with an uninterrupted run's weights."""
import glob
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import torch

from segkit.apis import run_train

from tests.helpers import REPO
from tests.tiny_training import QUICKSTART, cli_options, tiny_options

MAX_ITERS = 4
KILL_AFTER = 2  # iterations: the kill comes once this checkpoint exists


def test_sigkilled_run_resumes_to_the_same_weights(demo_root, tmp_path):
    # Random augmentations and dropout stay on: the resumed run must replay their streams.
    # Validation at the checkpoint's iteration must not shift the streams either.
    overrides = {'train_cfg.max_iters': MAX_ITERS, 'train_cfg.val_interval': KILL_AFTER}
    killed = str(tmp_path / 'killed')
    env = dict(os.environ, OMP_NUM_THREADS=str(torch.get_num_threads()))
    proc = subprocess.Popen(
        [sys.executable, 'tools/train.py', QUICKSTART, '--work-dir', killed, '--cfg-options',
         *cli_options(tiny_options(demo_root, 'killed', **overrides))],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 240
    while not osp.isfile(osp.join(killed, f'iter_{KILL_AFTER}.pth')):
        assert proc.poll() is None, 'the run ended before it could be killed'
        assert time.monotonic() < deadline, 'no checkpoint appeared'
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    resumed = run_train(QUICKSTART, work_dir=killed, resume='auto',
                        cfg_options=tiny_options(demo_root, 'resumed', **overrides))
    logs = ''.join(open(p).read() for p in glob.glob(osp.join(killed, '*', '*.log')))
    assert 'resumed epoch: 0, iter: ' in logs and 'resumed epoch: 0, iter: 0' not in logs
    reference = run_train(QUICKSTART, work_dir=str(tmp_path / 'reference'),
                          cfg_options=tiny_options(demo_root, 'reference', **overrides,
                                                   **{'default_hooks.checkpoint.interval': 0}))

    assert resumed.iter == reference.iter == MAX_ITERS
    final = torch.load(osp.join(killed, f'iter_{MAX_ITERS}.pth'), weights_only=True)['state_dict']
    expected = reference.model.state_dict()
    assert final.keys() == expected.keys()
    for key, value in expected.items():
        assert torch.equal(final[key], value), key
