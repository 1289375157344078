"""ProgressBarHook: a progress bar over the test set."""
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.utils import ProgressBar

from segkit.registry import HOOKS


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """Show a progress bar (batches done, rate, time left) while testing, on the main process."""

    priority = 'LOW'

    def __init__(self):
        self.bar = None

    def before_test(self, runner) -> None:
        if is_main_process():
            self.bar = ProgressBar(len(runner.test_dataloader))

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self.bar is not None:
            self.bar.update()

    def after_test_epoch(self, runner, metrics=None) -> None:
        if self.bar is not None:
            self.bar.file.write('\n')
            self.bar = None
