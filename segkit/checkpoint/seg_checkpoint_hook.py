"""SegCheckpointHook: mmengine's CheckpointHook, safe against kills and full disks, and
resume-exact."""
import os.path as osp
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from segkit.registry import HOOKS
from segkit.utils.errors import ConfigError

from .atomic_local_backend import AtomicLocalBackend
from .io import remove_partial_writes
from .rng import rng_state
from .saving import restore_rng_states, resumed_rng_states, training_meta


@HOOKS.register_module()
class SegCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` (same arguments). Every training uses it: a config's
    ``default_hooks.checkpoint`` of type ``'CheckpointHook'`` runs as this class (see
    :func:`~segkit.checkpoint.saving.setup_checkpointing`).

    Differences:

    - A new checkpoint is written (atomically, by :class:`AtomicLocalBackend`) before
      ``last_checkpoint`` is replaced (atomically) and before checkpoints beyond
      ``max_keep_ckpts`` or the previous best one are deleted, so a kill or a full disk at
      any moment leaves the latest complete checkpoint loadable and listed.
    - Each checkpoint's ``meta`` holds every process's random generator states
      (``rng_states``, see :mod:`segkit.checkpoint.rng`) and the model config
      (``model_cfg``), as plain data. On resume the states are restored before the first
      iteration, so with the same seed and deterministic settings a resumed run ends with
      the same weights as an uninterrupted one.
    - The best checkpoint of a resumed run is looked for in this run's ``out_dir`` (by
      name), not at the path saved in the checkpoint, so a work dir copied or moved
      elsewhere never deletes the original's files.
    - Resuming with a model config that differs from the checkpoint's (ignoring
      :data:`~segkit.checkpoint.keys.TRAINING_NEUTRAL_KEYS`) fails, naming the differences.
    """

    _train_rng: Optional[dict] = None
    _resumed_rng_states: Optional[list] = None

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._train_rng = rng_state()
        super().after_train_iter(runner, batch_idx, data_batch=data_batch, outputs=outputs)

    def after_train_epoch(self, runner) -> None:
        self._train_rng = rng_state()
        super().after_train_epoch(runner)

    def _save_checkpoint_with_step(self, runner, step: int, meta: dict) -> None:
        # mmengine 0.10.7's, reordered (it deletes the oldest checkpoint before writing the
        # new one) and gathering the random generator states of all processes into ``meta``.
        expired = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                expired.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        meta = dict(meta, **training_meta(runner.cfg.get('model'), self._train_rng))
        runner.save_checkpoint(self.out_dir, filename, self.file_client_args,
                               save_optimizer=self.save_optimizer,
                               save_param_scheduler=self.save_param_scheduler, meta=meta,
                               by_epoch=self.by_epoch, backend_args=self.backend_args,
                               **self.args)
        if not is_main_process():
            return
        AtomicLocalBackend().put_text(self.last_ckpt, osp.join(runner.work_dir, 'last_checkpoint'))
        for old_step in expired:
            self._remove(self.file_backend.join_path(self.out_dir,
                                                     self.filename_tmpl.format(old_step)))

    def _save_best_checkpoint(self, runner, metrics: dict) -> None:
        if not self.save_best:
            return
        unknown = [k for k in self.key_indicators if k != 'auto' and k not in metrics]
        if unknown:  # mmengine would stop with a KeyError
            raise ConfigError(
                f'default_hooks.checkpoint.save_best={unknown[0]!r} is not a metric of the '
                f"validation, which reports {', '.join(metrics)}; set save_best to one of "
                'them (the checkpoints saved so far are kept: continue with --resume)')
        previous = self._best_paths()
        # With no previous path mmengine deletes nothing before writing the new best.
        self._set_best_paths(dict.fromkeys(previous))
        saved = False
        try:
            super()._save_best_checkpoint(runner, metrics)
            saved = True
        finally:
            current = self._best_paths()
            for key, old in previous.items():
                if current[key] is None or not saved:
                    current[key] = old
                elif old and old != current[key] and is_main_process():
                    self._remove(old)
                    runner.logger.info(f'The previous best checkpoint {old} is removed')
            self._set_best_paths(current)

    def _best_paths(self) -> dict:
        if len(self.key_indicators) == 1:
            return {None: self.best_ckpt_path}
        return dict(self.best_ckpt_path_dict)

    def _set_best_paths(self, paths: dict) -> None:
        if len(self.key_indicators) == 1:
            self.best_ckpt_path = paths[None]
        else:
            self.best_ckpt_path_dict.update(paths)

    def _remove(self, path: str) -> None:
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):  # DeepSpeed checkpoints are folders
            self.file_backend.rmtree(path)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if runner.cfg.get('resume'):
            self._resumed_rng_states = resumed_rng_states(checkpoint, runner.cfg)

    def before_train(self, runner) -> None:
        super().before_train(runner)
        # A resumed run's best checkpoint path, as saved: it points into the folder of the run
        # that saved it, which is another one when the work dir was copied or moved. The
        # previous best is deleted when a better one is saved: only ever this run's own.
        if self.save_best is not None:
            self._set_best_paths({key: path and self.file_backend.join_path(
                self.out_dir, osp.basename(path)) for key, path in self._best_paths().items()})
        if is_main_process():
            for folder in {runner.work_dir, self.out_dir}:
                remove_partial_writes(folder)
        states, self._resumed_rng_states = self._resumed_rng_states, None
        if states is not None:
            restore_rng_states(states)
