"""Each benchmark runs on a tiny model and shape and returns its documented keys."""
import os
import os.path as osp
import subprocess
import sys

import pytest

from segkit.benchmark import (INFERENCE_MODES, benchmark_data_pipeline, benchmark_inference,
                              benchmark_training, select_modes)
from segkit.benchmark.data_pipeline import write_cityscapes_like
from segkit.config import load_config
from segkit.registry import MODELS
from segkit.utils import precision
from tests.helpers import REPO


@pytest.fixture(scope='module')
def model():
    cfg = load_config(osp.join(REPO, 'configs', 'quickstart.py'), cfg_options={
        'model.backbone.base_channels': 16, 'model.backbone.stem_channels': 16,
        'model.decode_head.in_channels': 128, 'model.decode_head.channels': 16})  # quarter width
    cfg.model.data_preprocessor.size = None
    return MODELS.build(cfg.model)


def assert_positive(results: dict, keys) -> None:
    for name, values in results.items():
        assert set(values) == set(keys), (name, values)
        assert all(v > 0 for v in values.values()), (name, values)


@pytest.mark.parametrize('native', [True, False])
def test_auto_modes_time_bf16_only_where_native(monkeypatch, native):
    monkeypatch.setattr(precision, 'cpu_native_bf16', lambda: None if native else 'emulated')
    modes = select_modes(['auto'], 'cpu')
    assert 'fp32+channels_last+fold_bn+compile' in modes and 'fp32' in modes
    assert any(m.startswith('bf16') for m in modes) is native
    assert select_modes(['all'], 'cpu') == list(INFERENCE_MODES)
    assert select_modes(['bf16', 'fp32', 'bf16'], 'cpu') == ['bf16', 'fp32']


def test_benchmark_inference(model):
    modes = [m for m in INFERENCE_MODES if not INFERENCE_MODES[m][3]]  # compile is slow
    results = benchmark_inference(model, (32, 32), modes=modes, rounds=1)
    assert set(results) == set(modes) | {'predict_overhead'}
    assert results['fp32']['ratio'] == 1
    assert_positive(results, ('latency_s', 'images_per_s', 'ratio'))


def test_benchmark_training(model):
    results = benchmark_training(model, (32, 32), batch_size=2, num_classes=5, rounds=1,
                                 ceiling_shape=(1, 8, 8, 8))
    ratios = results.pop('ratios')
    assert set(results) == {'segkit fp32', 'plain fp32', 'segkit amp', 'plain amp',
                            'segkit amp channels-last'}
    assert_positive(results, ('iter_s', 'iters_per_s', 'peak_mb'))
    assert set(ratios) == {'amp_speedup', 'amp_channels_last_speedup', 'overhead_fp32',
                           'overhead_amp', 'bf16_conv_speedup'}
    assert all(v > 0 for v in ratios.values())


def test_benchmark_data_pipeline(tmp_path):
    write_cityscapes_like(str(tmp_path), num_images=4, shape=(64, 128))
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                dict(type='RandomCrop', crop_size=(32, 32)), dict(type='PackSegInputs')]
    results = benchmark_data_pipeline(str(tmp_path), pipeline, workers=[0], num_samples=4)
    assert list(results) == [0]
    assert_positive(results, ('samples_per_s', 'per_worker'))


def test_cpu_memory_profile_prints_nothing():
    # A fresh process, as `benchmark.py train` is: kineto reads its log level once, and
    # PyTorch's notice of a block freed that was allocated before the profile (a segkit
    # step frees one) comes once per process.
    code = """
import torch
from segkit.benchmark.training import make_batch, peak_memory_mb
from segkit.config import load_config
from segkit.engine.optimizers import OptimWrapper
from segkit.registry import MODELS, register_all_modules
register_all_modules()
cfg = load_config('configs/quickstart.py', cfg_options={
    'model.backbone.base_channels': 16, 'model.backbone.stem_channels': 16,
    'model.decode_head.in_channels': 128, 'model.decode_head.channels': 16})
cfg.model.data_preprocessor.size = None
model = MODELS.build(cfg.model).train()
batch = make_batch(2, (32, 32), 5, torch.device('cpu'))
wrapper = OptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
model.train_step(batch, wrapper)
print(peak_memory_mb(lambda: model.train_step(batch, wrapper)) > 0)
"""
    env = {k: v for k, v in os.environ.items() if k != 'KINETO_LOG_LEVEL'}
    proc = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True,
                          text=True, timeout=300, env=dict(env, CUDA_VISIBLE_DEVICES=''))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, 'True\n', '')
