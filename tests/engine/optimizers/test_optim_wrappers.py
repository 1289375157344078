import copy

import pytest
import torch
from mmengine.optim import OptimWrapper as MMEngineOptimWrapper
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from torch import nn

import segkit  # noqa: F401  (registers segkit's modules)
from segkit.engine.optimizers import AmpOptimWrapper, OptimWrapper
from segkit.registry import OPTIM_WRAPPERS
from segkit.utils import precision
from segkit.utils.errors import ConfigError


def tiny_net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 2, 1))


def train(wrapper_cls, iters, **kwargs):
    """Train a tiny net for ``iters`` iterations; returns (net, wrapper, last gradients)."""
    net = tiny_net()
    wrapper = wrapper_cls(optimizer=torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9),
                          **kwargs)
    wrapper.initialize_count_status(net, 0, iters)
    for i in range(iters):
        torch.manual_seed(100 + i)
        with wrapper.optim_context(net):
            loss = net(torch.randn(2, 3, 8, 8)).square().mean()
        wrapper.update_params(loss)
    return net, wrapper, [p.grad for p in net.parameters()]


@pytest.mark.parametrize('accumulative_counts', [1, 2])
def test_same_updates_as_mmengine_including_accumulation(accumulative_counts):
    # 5 iterations with accumulation 2: windows of 2, 2 and a last one of 1.
    ours, _, _ = train(OptimWrapper, 5, accumulative_counts=accumulative_counts)
    theirs, _, _ = train(MMEngineOptimWrapper, 5, accumulative_counts=accumulative_counts)
    for a, b in zip(ours.state_dict().values(), theirs.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_each_backward_starts_from_zero_and_gradients_are_held_after_the_step():
    net = tiny_net()
    wrapper = OptimWrapper(optimizer=torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9))
    x = torch.randn(2, 3, 8, 8)
    wrapper.update_params(net(x).square().mean())
    assert all(p.grad is not None for p in net.parameters())  # held until the next backward
    reference = copy.deepcopy(net)
    reference.zero_grad()
    wrapper.update_params(net(x).square().mean())
    reference(x).square().mean().backward()
    torch.testing.assert_close([p.grad for p in net.parameters()],
                               [p.grad for p in reference.parameters()], rtol=0, atol=0)


def test_segkit_scope_builds_segkit_optim_wrapper():
    cfg = dict(type='OptimWrapper', optimizer=torch.optim.SGD(tiny_net().parameters(), lr=0.1))
    assert type(OPTIM_WRAPPERS.build(cfg)) is OptimWrapper
    assert MMENGINE_OPTIM_WRAPPERS.get('mmengine.OptimWrapper') is MMEngineOptimWrapper


@pytest.fixture
def native_bf16(monkeypatch):
    """Mock whether the CPU runs bf16 natively: ``native_bf16(True)``."""
    def set_native(native):
        monkeypatch.setattr(precision, 'cpu_native_bf16',
                            lambda: None if native else 'the CPU has no AVX512-BF16 or AMX')
    return set_native


def test_amp_on_a_native_bf16_cpu_runs_the_forward_in_bfloat16_and_trains(native_bf16):
    native_bf16(True)
    net, wrapper, grads = train(AmpOptimWrapper, 3)
    assert wrapper.cast_dtype is torch.bfloat16 and wrapper.loss_scaler is None
    with wrapper.optim_context(net):
        assert net(torch.randn(1, 3, 8, 8)).dtype is torch.bfloat16
    assert all(g.dtype is torch.float32 for g in grads)
    fp32, _, _ = train(OptimWrapper, 3)
    for a, b in zip(net.parameters(), fp32.parameters()):
        assert not torch.equal(a, b)  # it trained, in a different precision
        torch.testing.assert_close(a, b, rtol=0.05, atol=0.02)


def test_amp_without_native_bf16_runs_fp32_and_says_why(native_bf16, monkeypatch):
    native_bf16(False)
    logged = []
    monkeypatch.setattr(precision, 'print_log', lambda msg, logger, level: logged.append(msg))
    net, wrapper, _ = train(AmpOptimWrapper, 3)
    assert wrapper.cast_dtype is None and wrapper.loss_scaler is None
    fp32, _, _ = train(OptimWrapper, 3)
    for a, b in zip(net.state_dict().values(), fp32.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)  # exactly the fp32 run
    assert len(logged) == 1 and logged[0].startswith(
        'AmpOptimWrapper: mixed precision requested, running fp32: the CPU has no AVX512-BF16')


def test_amp_explicit_bfloat16_runs_where_emulated(native_bf16):
    native_bf16(False)
    net, wrapper, _ = train(AmpOptimWrapper, 1, dtype='bfloat16')
    assert wrapper.cast_dtype is torch.bfloat16
    with wrapper.optim_context(net):
        assert net(torch.randn(1, 3, 8, 8)).dtype is torch.bfloat16


def test_amp_float16_scales_the_loss_and_round_trips_the_scaler():
    net, wrapper, _ = train(AmpOptimWrapper, 2, dtype='float16')
    assert wrapper.loss_scaler is not None
    state = wrapper.state_dict()
    assert state['loss_scaler']['scale'] == wrapper.loss_scaler.get_scale()
    resumed = AmpOptimWrapper(optimizer=torch.optim.SGD(net.parameters(), lr=0.1,
                                                        momentum=0.9), dtype='float16')
    resumed.load_state_dict(copy.deepcopy(state))
    with resumed.optim_context(net):  # the scaler is made on first use, from the state
        pass
    assert resumed.loss_scaler.state_dict() == wrapper.loss_scaler.state_dict()


def test_amp_unknown_dtype_is_a_config_error():
    with pytest.raises(ConfigError, match=r"AmpOptimWrapper dtype 'half': expected one of "
                                          r"\['bfloat16', 'float16'\] or None"):
        AmpOptimWrapper(optimizer=torch.optim.SGD(tiny_net().parameters(), lr=0.1),
                        dtype='half')
