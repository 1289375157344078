"""AmpOptimWrapper: mixed precision on any device (bf16 autocast on CPU, fp16 + scaler on GPU)."""
from contextlib import contextmanager
from typing import Optional

import torch

from segkit.registry import OPTIM_WRAPPERS
from segkit.utils.errors import ConfigError

from .optim_wrapper import OptimWrapper

DTYPES = {'bfloat16': torch.bfloat16, 'float16': torch.float16}


@OPTIM_WRAPPERS.register_module()
class AmpOptimWrapper(OptimWrapper):
    """Optimizer wrapper that runs the forward pass under ``torch.autocast``.

    Unlike mmengine's, it works on CPU. ``dtype=None`` picks bfloat16 where the device
    supports it (CPU, Ampere and newer GPUs) and float16 otherwise; float16 scales the loss
    with a ``GradScaler`` to avoid underflow, bfloat16 needs none.

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
        dtype = self.requested_dtype
        if dtype is None:
            bf16_ok = device_type == 'cpu' or (device_type == 'cuda'
                                               and torch.cuda.is_bf16_supported())
            dtype = 'bfloat16' if bf16_ok else 'float16'
        self.cast_dtype = DTYPES[dtype]
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
        with super().optim_context(model), torch.autocast(device_type=self.device_type,
                                                          dtype=self.cast_dtype):
            yield
