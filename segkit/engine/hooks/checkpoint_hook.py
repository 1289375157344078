"""CheckpointHook: mmengine's, safe against kills and full disks, and resume-exact."""
import os
import os.path as osp
from typing import Optional

from mmengine.dist import all_gather_object, get_dist_info, is_main_process
from mmengine.hooks import CheckpointHook as MMEngineCheckpointHook
from mmengine.logging import print_log

from segkit.registry import HOOKS
from segkit.utils.checkpoint_io import TMP_SUFFIX
from segkit.utils.errors import ConfigError

from ..atomic_local_backend import AtomicLocalBackend
from ..rng import rng_state, set_rng_state

# Model config keys that may change between a run and its resumption: they do not change
# what is trained (inference settings, and where the initial weights came from).
RESUME_IGNORED_MODEL_KEYS = ('test_cfg', 'init_cfg', 'pretrained')


@HOOKS.register_module()
class CheckpointHook(MMEngineCheckpointHook):
    """mmengine's ``CheckpointHook`` (same arguments), registered under the same name in the
    segkit scope, so every config's ``default_hooks.checkpoint`` uses it.

    Differences:

    - A new checkpoint is written (atomically, by :class:`AtomicLocalBackend`) before
      ``last_checkpoint`` is replaced (atomically) and before checkpoints beyond
      ``max_keep_ckpts`` or the previous best one are deleted, so a kill or a full disk at
      any moment leaves the latest complete checkpoint loadable and listed.
    - Each checkpoint's ``meta`` holds every process's random generator states
      (``rng_states``, see :mod:`segkit.engine.rng`) and the model config (``model_cfg``),
      as plain data. On resume the states are restored before the first iteration, so with
      the same seed and deterministic settings a resumed run ends with the same weights as
      an uninterrupted one.
    - The best checkpoint of a resumed run is looked for in this run's ``out_dir`` (by
      name), not at the path saved in the checkpoint, so a work dir copied or moved
      elsewhere never deletes the original's files.
    - Resuming with a model config that differs from the checkpoint's (ignoring
      ``test_cfg``, ``init_cfg`` and ``pretrained``) fails, naming the differences.
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
        expired = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                expired.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        meta = dict(meta, rng_states=all_gather_object(self._train_rng or rng_state()),
                    model_cfg=plain_cfg(runner.cfg.get('model')))
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

    def _remove_partial_writes(self, runner) -> None:
        """Delete the temp files of writes cut short by a kill (AtomicLocalBackend's)."""
        for folder in {runner.work_dir, self.out_dir}:
            if not osp.isdir(folder):
                continue
            for name in os.listdir(folder):
                if name.startswith('.') and name.endswith(TMP_SUFFIX):
                    os.remove(osp.join(folder, name))
                    print_log(f'removed {osp.join(folder, name)}, left by an interrupted write',
                              logger='current')

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if not runner.cfg.get('resume'):
            return
        meta = checkpoint.get('meta', {})
        check_same_model(meta.get('model_cfg'), plain_cfg(runner.cfg.get('model')),
                         runner.cfg.get('load_from'))
        self._resumed_rng_states = meta.get('rng_states')
        if self._resumed_rng_states is None:
            print_log('the checkpoint holds no random generator states: the resumed run will '
                      'not repeat an uninterrupted one exactly', logger='current')

    def before_train(self, runner) -> None:
        super().before_train(runner)
        # A resumed run's best checkpoint path, as saved: it points into the folder of the run
        # that saved it, which is another one when the work dir was copied or moved. The
        # previous best is deleted when a better one is saved: only ever this run's own.
        if self.save_best is not None:
            self._set_best_paths({key: path and self.file_backend.join_path(
                self.out_dir, osp.basename(path)) for key, path in self._best_paths().items()})
        if is_main_process():
            self._remove_partial_writes(runner)
        states, self._resumed_rng_states = self._resumed_rng_states, None
        if states is None:
            return
        rank, world_size = get_dist_info()
        if len(states) != world_size:
            print_log(f'the checkpoint holds the random generator states of {len(states)} '
                      f'processes, this run has {world_size}: not restored, so the resumed run '
                      'will not repeat an uninterrupted one exactly', logger='current')
            return
        set_rng_state(states[rank])


def plain_cfg(value):
    """A config as plain data (dicts, lists, numbers, strings), comparable and safe to save."""
    if isinstance(value, dict):
        return {str(k): plain_cfg(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_cfg(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def check_same_model(saved: Optional[dict], current: Optional[dict],
                     checkpoint: Optional[str]) -> None:
    """Fail when a resumed checkpoint was trained with another model config."""
    if saved is None or current is None:
        return
    diffs = _differences(saved, current, 'model')
    if diffs:
        shown = '; '.join(diffs[:3]) + (f' (+{len(diffs) - 3} more)' if len(diffs) > 3 else '')
        source = checkpoint or 'the latest checkpoint'
        raise ConfigError(f'cannot resume from {source}: the model config differs from the one '
                          f'it was trained with ({shown}). Resume with the same model, or start '
                          f'a new training from these weights with load_from={source} and '
                          'without --resume')


def _differences(saved, current, path: str) -> list:
    if isinstance(saved, dict) and isinstance(current, dict):
        diffs = []
        for key in sorted(set(saved) | set(current)):
            if key in RESUME_IGNORED_MODEL_KEYS:
                continue
            diffs += _differences(saved.get(key, '<unset>'), current.get(key, '<unset>'),
                                  f'{path}.{key}')
        return diffs
    if saved != current:
        return [f'{path} was {saved!r}, now {current!r}']
    return []
