"""torchrun and srun on CPU (gloo): 2 processes train and test exactly like 1 with the doubled
batch."""
import os
import os.path as osp
import re
import socket
import subprocess
import sys

import torch

from segkit.apis import run_train

from tests.helpers import REPO
from tests.tiny_training import QUICKSTART, cli_options, tiny_options

ITERS = 3
NUM_VAL = 7  # uneven shards: 4 + 3 images
# Stands in for SLURM's srun on one machine: starts --ntasks copies of the command with the
# variables srun gives each task (node list 'localhost'), and records its options.
FAKE_SRUN = """#!{python}
import os, subprocess, sys
args = sys.argv[1:]
start = next(i for i, a in enumerate(args) if not a.startswith('--'))
options, command = dict(a[2:].split('=', 1) for a in args[:start]), args[start:]
with open(os.environ['SRUN_RECORD'], 'w') as f:
    f.write(' '.join(args))
ntasks, per_node = int(options['ntasks']), int(options['ntasks-per-node'])
env = {{k: v for k, v in os.environ.items() if k not in ('MASTER_ADDR', 'RANK', 'WORLD_SIZE')}}
tasks = [subprocess.Popen(command, env=dict(
    env, SLURM_PROCID=str(i), SLURM_NTASKS=str(ntasks), SLURM_LOCALID=str(i % per_node),
    SLURM_NODELIST='localhost', SLURM_JOB_NAME=options['job-name'])) for i in range(ntasks)]
sys.exit(max(task.wait() for task in tasks))
"""


def deterministic_options(demo_root: str, name: str, batch_size: int) -> dict:
    """Options under which 2 processes of ``batch_size`` match 1 process of twice that.

    The global batch holds the same samples (no shuffling: InfiniteSampler gives rank r
    the indices r, r + 2, ...), nothing is random (no resize, crop margin, flip or dropout),
    GN replaces BN (statistics do not depend on how the batch is split), and the loss
    averages over all pixels, so DDP's mean of the per-process means is the global mean.
    """
    return tiny_options(demo_root, name, **{
        'train_dataloader.batch_size': batch_size,
        'train_dataloader.sampler.shuffle': False,
        'train_dataloader.dataset.pipeline.2.scale': (64, 64),
        'train_dataloader.dataset.pipeline.2.ratio_range': (1.0, 1.0),
        'train_dataloader.dataset.pipeline.4.prob': 0.0,
        'model.decode_head.dropout_ratio': 0.0,
        'model.decode_head.loss_decode.avg_non_ignore': False,
        'model.backbone.norm_cfg.type': 'GN', 'model.backbone.norm_cfg.num_groups': 4,
        'model.decode_head.norm_cfg.type': 'GN', 'model.decode_head.norm_cfg.num_groups': 4,
        'val_dataloader.dataset.indices': NUM_VAL, 'val_dataloader.batch_size': 2,
        'test_dataloader.dataset.indices': NUM_VAL, 'test_dataloader.batch_size': 2,
        'train_cfg.max_iters': ITERS, 'train_cfg.val_interval': ITERS,
        'default_hooks.checkpoint.interval': 0})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def torchrun(script: str, *args) -> str:
    """Run tools/<script> with 2 processes; return their output."""
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()), OMP_NUM_THREADS='1')
    proc = subprocess.run(['bash', f'tools/{script}', *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300, env=env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    return output


def srun(tmp_path, script: str, *args) -> str:
    """Run tools/<script> through the stand-in srun with 2 tasks; return their output."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / 'srun').write_text(FAKE_SRUN.format(python=sys.executable))
    (bin_dir / 'srun').chmod(0o755)
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()), OMP_NUM_THREADS='1',
               GPUS='2', GPUS_PER_NODE='2', SRUN_RECORD=str(tmp_path / 'srun_args'),
               PATH=f'{bin_dir}:{os.environ["PATH"]}')
    proc = subprocess.run(['bash', f'tools/{script}', 'part', 'job17', *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300, env=env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    return output


def metric(output: str, name: str) -> float:
    return float(re.findall(rf'{name}: ([\d.]+)', output)[-1])


def test_two_processes_train_and_test_like_one_with_the_doubled_batch(demo_root, tmp_path):
    dist_dir = str(tmp_path / 'dist')
    output = torchrun('dist_train.sh', QUICKSTART, '2', '--work-dir', dist_dir, '--cfg-options',
                      *cli_options(deterministic_options(demo_root, 'dist', batch_size=2)))
    assert 'using the gloo backend' in output
    single = run_train(QUICKSTART, work_dir=str(tmp_path / 'single'),
                       cfg_options=deterministic_options(demo_root, 'single', batch_size=4))

    trained = torch.load(osp.join(dist_dir, f'iter_{ITERS}.pth'), weights_only=True)
    assert trained['meta']['iter'] == ITERS and len(trained['meta']['rng_states']) == 2
    expected = single.model.state_dict()
    assert trained['state_dict'].keys() == expected.keys()
    for key, value in expected.items():
        torch.testing.assert_close(trained['state_dict'][key], value, rtol=1e-5, atol=1e-6,
                                   msg=key)
    single_metrics = {k: single.message_hub.get_scalar(f'val/{k}').current()
                      for k in ('aAcc', 'mIoU')}
    for name, value in single_metrics.items():
        assert abs(metric(output, name) - value) <= 0.01, name

    # Testing the single-process checkpoint on 2 processes: each sample counted once.
    output = torchrun('dist_test.sh', QUICKSTART, osp.join(tmp_path, 'single', f'iter_{ITERS}.pth'),
                      '2', '--work-dir', str(tmp_path / 'test'), '--cfg-options',
                      *cli_options(deterministic_options(demo_root, 'test', batch_size=2)))
    for name, value in single_metrics.items():
        assert metric(output, name) == value, name


def test_two_slurm_tasks_train_and_test_like_one_process_with_the_doubled_batch(demo_root,
                                                                                tmp_path):
    dist_dir = str(tmp_path / 'dist')
    output = srun(tmp_path, 'slurm_train.sh', QUICKSTART, '--work-dir', dist_dir,
                  '--cfg-options', *cli_options(deterministic_options(demo_root, 'dist', 2)))
    assert 'using the gloo backend' in output
    recorded = (tmp_path / 'srun_args').read_text()
    assert recorded.startswith('--partition=part --job-name=job17 --gres=gpu:2 --ntasks=2 '
                               '--ntasks-per-node=2 --cpus-per-task=5 --kill-on-bad-exit=1 ')
    assert ' --launcher slurm --work-dir ' in recorded
    single = run_train(QUICKSTART, work_dir=str(tmp_path / 'single'),
                       cfg_options=deterministic_options(demo_root, 'single', batch_size=4))

    trained = torch.load(osp.join(dist_dir, f'iter_{ITERS}.pth'), weights_only=True)
    assert trained['meta']['iter'] == ITERS and len(trained['meta']['rng_states']) == 2
    for key, value in single.model.state_dict().items():
        torch.testing.assert_close(trained['state_dict'][key], value, rtol=1e-5, atol=1e-6,
                                   msg=key)

    output = srun(tmp_path, 'slurm_test.sh', QUICKSTART,
                  osp.join(tmp_path, 'single', f'iter_{ITERS}.pth'), '--work-dir',
                  str(tmp_path / 'test'), '--cfg-options',
                  *cli_options(deterministic_options(demo_root, 'test', batch_size=2)))
    for name in ('aAcc', 'mIoU'):
        assert metric(output, name) == single.message_hub.get_scalar(f'val/{name}').current()
