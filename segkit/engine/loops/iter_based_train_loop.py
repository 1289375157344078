"""IterBasedTrainLoop: mmengine's loop, with resume-exact random streams and start checks."""
from typing import Dict, List, Optional, Tuple, Union

from mmengine.dataset import InfiniteSampler
from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop as MMEngineIterBasedTrainLoop
from torch.utils.data import DataLoader

from segkit.registry import LOOPS
from segkit.utils.errors import ConfigError, DataError

from segkit.checkpoint.rng import preserved_rng


@LOOPS.register_module()
class IterBasedTrainLoop(MMEngineIterBasedTrainLoop):
    """mmengine's ``IterBasedTrainLoop`` (same arguments), registered under the same name in
    the segkit scope, so every config's ``train_cfg=dict(type='IterBasedTrainLoop')`` uses it.

    Differences:

    - Validation and, on resume, the fast-forward of the data loader past the iterations
      already trained run with the random generators' states saved and restored. The
      training streams therefore depend only on the seed and the iterations trained, and
      the states that :class:`~segkit.checkpoint.SegCheckpointHook` restores on resume are
      exactly those an uninterrupted run has at that iteration.
    - ``max_iters`` below 1 and a training loader that yields no batch (``batch_size``
      above the dataset size with ``drop_last=True`` and a finite sampler) fail at start.

    Args:
        runner: the runner.
        dataloader: the training data loader or its config.
        max_iters: iterations to train.
        val_begin: the first iteration after which validation may run.
        val_interval: validate every this many iterations (and after the last).
        dynamic_intervals: ``[(milestone, interval), ...]`` changes of ``val_interval``.
    """

    def __init__(self, runner, dataloader: Union[DataLoader, Dict], max_iters: int,
                 val_begin: int = 1, val_interval: int = 1000,
                 dynamic_intervals: Optional[List[Tuple[int, int]]] = None):
        if isinstance(max_iters, bool) or not isinstance(max_iters, int) or max_iters < 1:
            raise ConfigError(f'train_cfg.max_iters={max_iters!r}: expected a whole number of '
                              'iterations >= 1 (tools/test.py evaluates a checkpoint without '
                              'training)')
        if isinstance(val_interval, bool) or not isinstance(val_interval, int) \
                or val_interval < 1:
            raise ConfigError(f'train_cfg.val_interval={val_interval!r}: expected a whole number '
                              'of iterations >= 1')
        super().__init__(runner, dataloader, max_iters=max_iters, val_begin=val_begin,
                         val_interval=val_interval, dynamic_intervals=dynamic_intervals)
        if len(self.dataloader) == 0 and not isinstance(self.dataloader.sampler,
                                                        InfiniteSampler):
            raise DataError(f'train_dataloader yields no batch: batch_size '
                            f'{self.dataloader.batch_size} is larger than the '
                            f'{len(self.dataloader.dataset)} samples of '
                            f'{type(self.dataloader.dataset).__name__} and drop_last=True; '
                            'lower batch_size or set drop_last=False')

    def run(self):
        """Train to ``max_iters``, validating every ``val_interval`` iterations."""
        # mmengine 0.10.7's run with two blocks under preserved_rng: no hook runs between its
        # fast-forward on resume and the first batch, nor around the whole validation.
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        if self._iter > 0:
            print_log(f'advancing the data loader past the {self._iter} batches already trained',
                      logger='current')
            with preserved_rng():
                for _ in range(self._iter):
                    next(self.dataloader_iterator)
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            data_batch = next(self.dataloader_iterator)
            self.run_iter(data_batch)
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0 or self._iter == self._max_iters)):
                with preserved_rng():
                    self.runner.val_loop.run()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model
