"""OptimWrapper: mmengine's, with gradients freed just before the backward that replaces them."""
from typing import Optional

import torch
from mmengine.optim import OptimWrapper as MMEngineOptimWrapper

from segkit.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class OptimWrapper(MMEngineOptimWrapper):
    """mmengine's ``OptimWrapper`` (same arguments) that frees the gradients of the last
    update right before the next backward pass instead of right after the step.

    Under the segkit scope, ``type='OptimWrapper'`` builds this class. mmengine frees the
    gradients after ``step()``, so the forward pass takes their memory and backward must
    allocate them anew; on CPU that means fresh pages from the OS every iteration (the
    training benchmark measures the cost). Freeing them where plain PyTorch loops do
    (``zero_grad(); loss.backward(); step()``) lets backward reuse them. The update itself
    is unchanged, gradient accumulation included; as in plain loops, the last gradients
    stay allocated between iterations (and during validation). Only mmengine's public
    ``backward``/``should_update``/``step``/``zero_grad`` are used.
    """

    # Whether the last update_params ended an accumulation window with a step (or none
    # ran yet), so the next one starts a new window.
    _window_ended = True

    def update_params(self, loss: torch.Tensor, step_kwargs: Optional[dict] = None,
                      zero_kwargs: Optional[dict] = None) -> None:
        if self._window_ended:
            self.zero_grad(**(zero_kwargs or {}))
        self.backward(self.scale_loss(loss))
        self._window_ended = self.should_update()
        if self._window_ended:
            self.step(**(step_kwargs or {}))
