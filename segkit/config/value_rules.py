"""Rules on config values that no type hint states: top-level keys, dataloader and optimizer
values, norm configs, sampler/loop pairs that would never end."""
import inspect

import torch
from mmengine.config import Config

from segkit.config.messages import check_keys, fail, kind, short_repr
from segkit.models.layers.norm import NORM_KEYS, NORM_TYPES

ALLOWED_TOP_LEVEL_KEYS = (
    # Arguments of mmengine's Runner.from_cfg.
    'model', 'work_dir', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg',
    'val_cfg', 'test_cfg', 'auto_scale_lr', 'optim_wrapper', 'param_scheduler', 'val_evaluator',
    'test_evaluator', 'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level', 'visualizer',
    'default_scope', 'randomness', 'experiment_name',
    # Also read by mmengine's Runner or Config.
    'model_wrapper_cfg', 'find_unused_parameters', 'sync_bn', 'compile',
    'activation_checkpointing', 'efficient_conv_bn_eval', 'custom_imports',
    # Conventional variables of MMSegmentation's configs and ours.
    'dataset_type', 'data_root', 'crop_size', 'img_scale', 'num_classes', 'norm_cfg',
    'train_pipeline', 'test_pipeline', 'tta_pipeline', 'tta_model', 'img_ratios',
    'vis_backends', 'checkpoint', 'metainfo',
    # segkit's: loads that leave most of the model untouched are intended.
    'allow_partial_load',
)
# Typeless top-level dicts and the keys their consumer reads.
FIXED_KEYS = {
    'env_cfg': ('cudnn_benchmark', 'mp_cfg', 'dist_cfg', 'resource_limit'),
    'auto_scale_lr': ('enable', 'base_batch_size'),
    'randomness': ('seed', 'diff_rank_seed', 'deterministic'),
    **{f'{split}_dataloader': (*inspect.signature(torch.utils.data.DataLoader).parameters,
                               'num_batch_per_epoch', 'disable_subprocess_warning')
       for split in ('train', 'val', 'test')},
}
# Values that torch's DataLoader and optimizers take unchecked (or check with a traceback):
# key -> (what is expected, test).
_DATALOADER_VALUES = {
    'batch_size': ('a whole number >= 1', lambda v: _is_int(v) and v >= 1),
    'num_workers': ('a whole number >= 0', lambda v: _is_int(v) and v >= 0),
    'prefetch_factor': ('a whole number >= 1 or None',
                        lambda v: v is None or _is_int(v) and v >= 1),
    **{key: ('True or False', lambda v: isinstance(v, bool))
       for key in ('shuffle', 'drop_last', 'pin_memory', 'persistent_workers')},
}
_OPTIMIZER_VALUES = {
    key: ('a number >= 0', lambda v: _is_number(v) and v >= 0)
    for key in ('lr', 'momentum', 'weight_decay', 'eps', 'dampening', 'alpha', 'lr_decay')
}


def check_loops_and_loaders(cfg: Config, filename: str) -> None:
    """Values of the dataloaders, and sampler/loop pairs that would never end."""
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if not isinstance(loader, dict):
            continue
        _check_values(loader, _DATALOADER_VALUES, f'{split}_dataloader', filename)
        if loader.get('persistent_workers') and not loader.get('num_workers'):
            fail(filename, f"'{split}_dataloader.persistent_workers' is True but num_workers is "
                           f"{loader.get('num_workers', 0)}; set persistent_workers=False, or "
                           'num_workers >= 1')
        sampler = loader.get('sampler')
        if not (isinstance(sampler, dict) and _type_name(sampler.get('type')) == 'InfiniteSampler'):
            continue
        if split != 'train':
            fail(filename, f"'{split}_dataloader.sampler.type' is InfiniteSampler: the "
                           f"{split} loop would never end; use dict(type='DefaultSampler', "
                           'shuffle=False)')
        train_cfg = cfg.get('train_cfg') or {}
        if _type_name(train_cfg.get('type')) == 'EpochBasedTrainLoop' or train_cfg.get('by_epoch'):
            fail(filename, "'train_dataloader.sampler.type' is InfiniteSampler but train_cfg is "
                           'epoch-based: an epoch would never end; use '
                           "dict(type='DefaultSampler', shuffle=True), or "
                           "train_cfg=dict(type='IterBasedTrainLoop', max_iters=...)")


def _check_values(cfg: dict, rules: dict, path: str, filename: str) -> None:
    for key, (expected, test) in rules.items():
        if key in cfg and not test(cfg[key]):
            fail(filename, f"'{path}.{key}' expects {expected}, got {kind(cfg[key])} "
                           f'{short_repr(cfg[key])}')


def check_optimizer(cfg: Config, filename: str) -> None:
    """Values of ``optim_wrapper.optimizer`` that torch takes unchecked."""
    optimizer = (cfg.get('optim_wrapper') or {}).get('optimizer')
    if isinstance(optimizer, dict):
        _check_values(optimizer, _OPTIMIZER_VALUES, 'optim_wrapper.optimizer', filename)
        betas = optimizer.get('betas')
        if betas is not None and not (isinstance(betas, (tuple, list)) and len(betas) == 2 and
                                      all(_is_number(b) and 0 <= b < 1 for b in betas)):
            fail(filename, f"'optim_wrapper.optimizer.betas' expects two numbers in [0, 1), "
                           f'got {short_repr(betas)}')


def check_norm_cfg(norm_cfg, path: str, filename: str) -> None:
    """A norm_cfg names one of NORM_TYPES and sets only NORM_KEYS."""
    if not isinstance(norm_cfg, dict):
        return
    if norm_cfg.get('type') not in NORM_TYPES:
        fail(filename, f"unknown norm type {norm_cfg.get('type')!r} at '{path}.type'; "
                       f"expected one of {', '.join(NORM_TYPES)}")
    check_keys(norm_cfg, NORM_KEYS, path=path, owner='norm_cfg', filename=filename)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _type_name(type_) -> str:
    """The class name that a config's ``type`` names ('mmengine.InfiniteSampler' ->
    'InfiniteSampler')."""
    return getattr(type_, '__name__', str(type_)).rsplit('.', 1)[-1]

