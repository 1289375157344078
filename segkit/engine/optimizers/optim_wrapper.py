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
    stay allocated between iterations (and during validation).
    """

    def update_params(self, loss: torch.Tensor, step_kwargs: Optional[dict] = None,
                      zero_kwargs: Optional[dict] = None) -> None:
        if self._inner_count % self._accumulative_counts == 0:  # a new accumulation window
            self.zero_grad(**(zero_kwargs or {}))
        self.backward(self.scale_loss(loss))
        if self.should_update():
            self.step(**(step_kwargs or {}))
