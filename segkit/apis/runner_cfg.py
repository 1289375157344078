"""Turn a config file and command-line choices into a Runner config."""
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log

from segkit.config import load_config
from segkit.utils import register_all_modules
from segkit.utils.errors import ConfigError


def prepare_cfg(config: str, work_dir: Optional[str] = None,
                cfg_options: Optional[dict] = None, launcher: str = 'none') -> Config:
    """Load and validate ``config``, then set the work dir and the launcher."""
    register_all_modules()
    cfg = load_config(config, cfg_options=cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(config))[0])
    if launcher not in ('none', 'pytorch'):
        raise ConfigError(f"--launcher {launcher!r}: expected 'none' or 'pytorch' (torchrun)")
    cfg.launcher = launcher
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    if launcher != 'none' and dist_cfg.get('backend', 'nccl') == 'nccl' \
            and not torch.cuda.is_available():
        print_log('no GPU: using the gloo backend instead of nccl', logger='current')
        dist_cfg['backend'] = 'gloo'
    return cfg
