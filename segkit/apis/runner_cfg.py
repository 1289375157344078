"""Turn a config file and command-line choices into a Runner config."""
import importlib.util
import os
import os.path as osp
import tempfile
from typing import Optional

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from torch import nn

from segkit.checkpoint import setup_checkpointing
from segkit.config import load_config
from segkit.models.decode_heads.decode_head import BaseDecodeHead
from segkit.registry import register_all_modules
from segkit.utils.distributed import start_process_group
from segkit.utils.errors import ConfigError
from segkit.utils.slurm import slurm_to_torch_env

# mmengine's experiment-tracker backends: the module each imports and segkit's extra for it.
TRACKER_EXTRAS = {'TensorboardVisBackend': ('tensorboard', 'tensorboard'),
                  'WandbVisBackend': ('wandb', 'wandb'),
                  'MLflowVisBackend': ('mlflow', 'mlflow')}
# Set by torchrun for each process; mmengine's 'pytorch' launcher reads them.
TORCHRUN_ENV = ('RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')


def prepare_cfg(config: str, work_dir: Optional[str] = None,
                cfg_options: Optional[dict] = None, launcher: str = 'none') -> Config:
    """Load and validate ``config``, then set and check the work dir and the launcher.

    ``launcher='slurm'`` (each task of ``srun``) sets torchrun's variables from SLURM's
    (:func:`~segkit.utils.slurm.slurm_to_torch_env`), then works as ``'pytorch'``. With
    either, the process group is started here, waiting a bounded time for all processes
    (:func:`~segkit.utils.distributed.start_process_group`); with no GPU, on gloo, and the
    model is wrapped for CPU (see :func:`_setup_cpu_distributed`). Checkpoints are saved by
    segkit's hooks (:func:`~segkit.checkpoint.setup_checkpointing`).
    """
    register_all_modules()
    cfg = load_config(config, cfg_options=cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(config))[0])
    _check_work_dir(cfg.work_dir)
    if launcher not in ('none', 'pytorch', 'slurm'):
        raise ConfigError(f"--launcher {launcher!r}: expected 'none', 'pytorch' (torchrun) "
                          "or 'slurm' (srun)")
    cfg.launcher = launcher
    if launcher == 'slurm':
        os.environ.update(slurm_to_torch_env(os.environ))
    if launcher != 'none':
        missing = [k for k in TORCHRUN_ENV if k not in os.environ]
        if missing:
            raise ConfigError(f'--launcher pytorch: {", ".join(missing)} not set; start with '
                              'torchrun --nproc_per_node=N (or tools/dist_train.sh, '
                              'tools/dist_test.sh)')
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ['LOCAL_RANK']))
        else:
            _setup_cpu_distributed(cfg)
        if not dist.is_initialized():
            dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
            start_process_group(dist_cfg.get('backend', 'nccl'), launcher, dist_cfg,
                                timeout=dist_cfg.get('timeout'))
    _check_vis_backends(cfg)
    setup_checkpointing(cfg)
    return cfg


def check_num_classes(model: nn.Module, dataloader, split: str) -> None:
    """Fail when a decode head's ``num_classes`` differs from the dataset's class count."""
    model = model.module if is_model_wrapper(model) else model
    classes = getattr(dataloader.dataset, 'metainfo', {}).get('classes')
    if not classes:
        return
    for name, head in model.named_modules():
        if isinstance(head, BaseDecodeHead) and head.num_classes != len(classes):
            shown = ', '.join(classes[:5]) + (', ...' if len(classes) > 5 else '')
            raise ConfigError(f'model.{name}.num_classes is {head.num_classes} but '
                              f'{split}.dataset ({type(dataloader.dataset).__name__}) has '
                              f'{len(classes)} classes ({shown}); set num_classes='
                              f'{len(classes)}, or the dataset\'s metainfo classes')


def _check_work_dir(work_dir: str) -> None:
    """Fail at start when the work dir cannot hold logs and checkpoints."""
    try:
        os.makedirs(work_dir, exist_ok=True)
        with tempfile.TemporaryFile(dir=work_dir):
            pass
    except OSError as e:
        raise ConfigError(f'work dir {work_dir} is not writable ({e.strerror}); choose another '
                          'with --work-dir') from None


def _setup_cpu_distributed(cfg: Config) -> None:
    """Choose gloo and wrap the model in CPU DDP.

    mmengine's default DDP wrapper passes ``device_ids``, which fails without a GPU (its
    ``init_dist``, which calls ``torch.cuda.set_device``, is skipped: the process group is
    started before).
    """
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    if dist_cfg.get('backend', 'nccl') == 'nccl':
        print_log('no GPU: using the gloo backend instead of nccl', logger='current')
        dist_cfg['backend'] = 'gloo'
    if cfg.get('model_wrapper_cfg') is None:  # mmengine's default wrapper, for CPU modules
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel', device_ids=None, broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    elif cfg.model_wrapper_cfg.get('type', 'MMDistributedDataParallel') \
            == 'MMDistributedDataParallel':
        cfg.model_wrapper_cfg.device_ids = None


def _check_vis_backends(cfg: Config) -> None:
    """Fail before the run starts when an experiment tracker is asked for but its package is
    not installed; let MLflow write its local file store (mmengine's default location).

    Each tracker is an optional extra of segkit (``pip install -e .[wandb]``). MLflow 3
    refuses its file store unless ``MLFLOW_ALLOW_FILE_STORE`` is set, which segkit sets
    (unless already set) for an ``MLflowVisBackend`` without ``tracking_uri``.
    """
    backends = (cfg.get('visualizer') or {}).get('vis_backends') or []
    for backend in backends:
        if not isinstance(backend, dict):
            raise ConfigError(f'visualizer.vis_backends holds {backend!r}: expected '
                              "dict(type='...VisBackend', ...) for each backend")
        name = str(backend.get('type')).rsplit('.', 1)[-1]
        if name not in TRACKER_EXTRAS:
            continue
        module, extra = TRACKER_EXTRAS[name]
        if importlib.util.find_spec(module) is None:
            raise ConfigError(f'visualizer.vis_backends has {name} but the {module} package is '
                              f"not installed: pip install -e '.[{extra}]' (segkit's {extra} "
                              f'extra, or pip install {module}), or remove it')
        if name == 'MLflowVisBackend' and backend.get('tracking_uri') is None:
            os.environ.setdefault('MLFLOW_ALLOW_FILE_STORE', 'true')
