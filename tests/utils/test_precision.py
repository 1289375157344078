"""The precision policy with the CPU's flags, ATen's capability and the oneDNN cap mocked."""
import logging

import pytest
import torch

from segkit.utils import precision
from segkit.utils.errors import ConfigError

AVX2_FLAGS = {'sse4_2', 'avx', 'avx2', 'fma'}
BF16_FLAGS = AVX2_FLAGS | {'avx512f', 'avx512_vnni', 'avx512_bf16'}


@pytest.fixture
def cpu(monkeypatch):
    """Set the mocked CPU: ``cpu(flags, capability='AVX512', onednn_cap=None)``."""
    def set_cpu(flags, capability='AVX512', onednn_cap=None):
        monkeypatch.setattr(precision, 'cpu_flags', lambda: set(flags))
        monkeypatch.setattr(torch.backends.cpu, 'get_cpu_capability', lambda: capability)
        monkeypatch.delenv('MKL_ENABLE_INSTRUCTIONS', raising=False)
        if onednn_cap is None:
            monkeypatch.delenv('ONEDNN_MAX_CPU_ISA', raising=False)
        else:
            monkeypatch.setenv('ONEDNN_MAX_CPU_ISA', onednn_cap)
    return set_cpu


def test_auto_is_bf16_only_on_a_cpu_with_native_bf16(cpu):
    cpu(BF16_FLAGS)
    assert precision.resolve_precision('cpu', 'auto')[:2] == ('bf16', torch.bfloat16)
    cpu(AVX2_FLAGS, capability='AVX2')
    decision = precision.resolve_precision('cpu', None)
    assert decision[:2] == ('fp32', None)
    assert 'no AVX512-BF16 or AMX' in decision.reason


@pytest.mark.parametrize('capability, onednn_cap, env', [
    ('AVX2', None, 'ATEN_CPU_CAPABILITY'), ('AVX512', 'AVX2', 'ONEDNN_MAX_CPU_ISA'),
    ('AVX512', 'avx512_core_vnni', 'ONEDNN_MAX_CPU_ISA')])
def test_the_emulation_caps_count_as_the_machine(cpu, capability, onednn_cap, env):
    cpu(BF16_FLAGS, capability=capability, onednn_cap=onednn_cap)
    decision = precision.resolve_precision('cpu', 'auto')
    assert decision.dtype is None and env in decision.reason
    assert 'native bf16 no' in precision.device_summary('cpu')


@pytest.mark.parametrize('onednn_cap', ['AVX512_CORE_BF16', 'AVX512_CORE_AMX', 'ALL'])
def test_a_cap_at_or_above_bf16_keeps_it(cpu, onednn_cap):
    cpu(BF16_FLAGS, onednn_cap=onednn_cap)
    assert precision.resolve_precision('cpu', 'auto').dtype is torch.bfloat16


def test_explicit_dtypes_run_and_say_when_emulated(cpu):
    cpu(AVX2_FLAGS, capability='AVX2')
    bf16 = precision.resolve_precision('cpu', 'bfloat16')
    assert bf16.dtype is torch.bfloat16 and bf16.emulated and 'slower than fp32' in bf16.reason
    assert precision.resolve_precision('cpu', 'fp32') == ('fp32', None, 'requested', False)
    cpu(BF16_FLAGS)
    assert not precision.resolve_precision('cpu', 'bf16').emulated
    assert precision.resolve_precision('cpu', 'fp16').emulated  # no AVX512-FP16 in the flags


@pytest.mark.parametrize('capability, expected', [((7, 5), 'fp16'), ((8, 0), 'bf16')])
def test_gpu_bf16_from_compute_capability_8(monkeypatch, capability, expected):
    monkeypatch.setattr(torch.cuda, 'get_device_capability', lambda device=None: capability)
    assert precision.resolve_precision('cuda', 'auto').name == expected


def test_unknown_precision_is_a_config_error():
    with pytest.raises(ConfigError, match=r"precision 'half': expected one of \['auto', 'fp32'"):
        precision.resolve_precision('cpu', 'half')


def test_log_line_names_the_reason_device_and_isa(cpu, monkeypatch):
    logged = []
    monkeypatch.setattr(precision, 'print_log',
                        lambda msg, logger, level: logged.append((msg, level)))
    cpu(BF16_FLAGS, onednn_cap='AVX2')
    monkeypatch.setattr(precision, 'cpu_model', lambda: 'Test CPU 9000')
    precision.log_precision(precision.resolve_precision('cpu', 'auto'), 'cpu', 'auto')
    precision.log_precision(precision.resolve_precision('cpu', 'bf16'), 'cpu', 'bf16')
    (fallback, info), (emulated, warning) = logged
    assert fallback.startswith('autocast: mixed precision requested, running fp32: oneDNN is '
                               'limited to AVX2 (ONEDNN_MAX_CPU_ISA)')
    assert 'device: Test CPU 9000, ISA AVX512, oneDNN max AVX2, native bf16 no, VNNI no' \
        in fallback
    assert (info, warning) == (logging.INFO, logging.WARNING)
    assert emulated.startswith('autocast: bf16 (requested; emulated')
