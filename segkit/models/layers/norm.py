"""Normalization layers from a ``norm_cfg`` dict, as MMSegmentation configs write them."""
import torch
import torch.distributed as dist
from mmengine.logging import print_log
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from segkit.utils.errors import ConfigError

NORM_TYPES = ('BN', 'SyncBN', 'GN')
NORM_KEYS = ('requires_grad', 'eps', 'momentum', 'num_groups')  # besides 'type'
_sync_bn_reverted_logged = False


def is_distributed() -> bool:
    """True when a default process group with more than one rank is running."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def build_norm_layer(norm_cfg: dict, num_features: int) -> nn.Module:
    """Build ``BN``, ``SyncBN`` or ``GN`` for ``num_features`` channels.

    ``SyncBN`` becomes ``BatchNorm2d`` when not distributed or without a GPU (PyTorch's
    SyncBatchNorm runs on GPUs only; logged once), so one config serves single-process and
    torchrun runs. Keys: ``type``, ``requires_grad`` (default
    True), ``eps``, ``momentum`` (BN) and ``num_groups`` (GN).
    """
    global _sync_bn_reverted_logged
    cfg = dict(norm_cfg)
    norm_type = cfg.pop('type', None)
    requires_grad = cfg.pop('requires_grad', True)
    if norm_type not in NORM_TYPES:
        raise ConfigError(f"norm_cfg type {norm_type!r} is not supported; expected one of {NORM_TYPES}")
    if norm_type == 'GN':
        layer = nn.GroupNorm(num_channels=num_features, **cfg)
    elif norm_type == 'SyncBN' and is_distributed() and torch.cuda.is_available():
        layer = nn.SyncBatchNorm(num_features, **cfg)
    else:
        if norm_type == 'SyncBN' and not _sync_bn_reverted_logged:
            reason = 'no GPU (PyTorch syncs BN on GPUs only), each process normalises its own ' \
                'batch' if is_distributed() else 'not distributed'
            print_log(f'SyncBN in the config: {reason}; using BatchNorm2d instead.',
                      logger='current')
            _sync_bn_reverted_logged = True
        layer = nn.BatchNorm2d(num_features, **cfg)
    for param in layer.parameters():
        param.requires_grad = requires_grad
    return layer


def freeze(modules) -> None:
    """Put ``modules`` in eval mode and stop gradients to their parameters."""
    for module in modules:
        module.eval()
        for param in module.parameters():
            param.requires_grad = False


def eval_batch_norms(module: nn.Module) -> None:
    """Put every BatchNorm layer of ``module`` in eval mode (running statistics frozen)."""
    for m in module.modules():
        if isinstance(m, _BatchNorm):
            m.eval()
