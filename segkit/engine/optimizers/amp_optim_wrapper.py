"""AmpOptimWrapper: mixed precision where the device runs it natively, on CPU and GPU."""
from contextlib import contextmanager, nullcontext
from typing import Optional

import torch

from segkit.registry import OPTIM_WRAPPERS
from segkit.utils.errors import ConfigError
from segkit.utils.precision import log_precision, resolve_precision

from .optim_wrapper import OptimWrapper

DTYPES = ('bfloat16', 'float16')


@OPTIM_WRAPPERS.register_module()
class AmpOptimWrapper(OptimWrapper):
    """Optimizer wrapper that runs the forward pass under ``torch.autocast``.

    Unlike mmengine's, it works on CPU. ``dtype=None`` follows the precision policy
    (:mod:`segkit.utils.precision`): bfloat16 on CPUs with native bf16 (AVX512-BF16, AMX)
    and on GPUs of compute capability 8.0 and up, float16 on older GPUs, and fp32 (no
    autocast) on CPUs that would emulate bf16, where it is slower than fp32. An explicit
    dtype always runs, with a warning where it is emulated. float16 scales the loss with a
    ``GradScaler`` to avoid underflow, bfloat16 needs none. The decision is logged when
    the first step starts.

    Args:
        optimizer: the optimizer.
        dtype: 'bfloat16', 'float16' or None (automatic).
        **kwargs: the arguments of ``OptimWrapper`` (accumulative_counts, clip_grad).
    """

    def __init__(self, optimizer, dtype: Optional[str] = None, **kwargs):
        super().__init__(optimizer=optimizer, **kwargs)
        if dtype is not None and dtype not in DTYPES:
            raise ConfigError(f'AmpOptimWrapper dtype {dtype!r}: expected one of {list(DTYPES)} '
                              'or None')
        self.requested_dtype = dtype
        self.device_type = None
        self.cast_dtype = None
        self.loss_scaler = None
        self._pending_scaler_state = None

    def _setup(self, device_type: str) -> None:
        self.device_type = device_type
        precision = resolve_precision(device_type, self.requested_dtype)
        log_precision(precision, device_type, self.requested_dtype, what='AmpOptimWrapper')
        self.cast_dtype = precision.dtype
        if self.cast_dtype is torch.float16:
            self.loss_scaler = torch.amp.GradScaler(device_type)
            if self._pending_scaler_state is not None:
                self.loss_scaler.load_state_dict(self._pending_scaler_state)

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        if self.loss_scaler is not None:
            loss = self.loss_scaler.scale(loss)
        loss.backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs) -> None:
        if self.loss_scaler is None:
            return super().step(**kwargs)
        if self.clip_grad_kwargs:
            self.loss_scaler.unscale_(self.optimizer)
            self._clip_grad()
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update()

    def state_dict(self) -> dict:
        state = self.optimizer.state_dict()
        if self.loss_scaler is not None:
            state['loss_scaler'] = self.loss_scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        scaler_state = state_dict.pop('loss_scaler', None)
        if scaler_state is not None and self.loss_scaler is not None:
            self.loss_scaler.load_state_dict(scaler_state)
        else:
            self._pending_scaler_state = scaler_state
        self.optimizer.load_state_dict(state_dict)

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        if self.device_type is None:
            self._setup(next(model.parameters()).device.type)
        autocast = nullcontext() if self.cast_dtype is None else torch.autocast(
            device_type=self.device_type, dtype=self.cast_dtype)
        with super().optim_context(model), autocast:
            yield
