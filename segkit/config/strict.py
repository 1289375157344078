"""Strict config loading: unknown keys, types and values fail before anything is built.

``validate_config`` walks the config and maps each position to the registry that builds
it (``model.*`` -> MODELS, ``*.pipeline[i]`` -> TRANSFORMS, ...). A dict with a ``type``
is resolved in that registry and its keys are checked against the constructor, so a typo
fails here with its dotted path and the closest valid name, not deep inside the build.
"""
import ast
import difflib
import inspect
import os.path as osp
import types
import typing

import mmengine.runner  # noqa: F401  (registers mmengine's hooks, loops, optimizers, ...)
import torch
from mmengine.config import Config

from segkit.registry import (DATA_SAMPLERS, DATASETS, EVALUATOR, HOOKS, LOG_PROCESSORS, LOOPS,
                             METRICS, MODEL_WRAPPERS, MODELS, OPTIM_WRAPPERS, OPTIMIZERS,
                             PARAM_SCHEDULERS, TASK_UTILS, TRANSFORMS, VISBACKENDS, VISUALIZERS,
                             WEIGHT_INITIALIZERS)
from segkit.utils.errors import ConfigError

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
NORM_TYPES = ('BN', 'SyncBN', 'GN')
NORM_KEYS = ('requires_grad', 'eps', 'momentum', 'num_groups')

# Typeless top-level dicts and the keys their consumer reads.
_FIXED_KEYS = {
    'env_cfg': ('cudnn_benchmark', 'mp_cfg', 'dist_cfg', 'resource_limit'),
    'auto_scale_lr': ('enable', 'base_batch_size'),
    'randomness': ('seed', 'diff_rank_seed', 'deterministic'),
    **{f'{split}_dataloader': (*inspect.signature(torch.utils.data.DataLoader).parameters,
                               'num_batch_per_epoch', 'disable_subprocess_warning')
       for split in ('train', 'val', 'test')},
}
_TOP_LEVEL_REGISTRIES = {
    'model': MODELS, 'data_preprocessor': MODELS, 'tta_model': MODELS,
    'model_wrapper_cfg': MODEL_WRAPPERS, 'optim_wrapper': OPTIM_WRAPPERS,
    'param_scheduler': PARAM_SCHEDULERS, 'val_evaluator': METRICS, 'test_evaluator': METRICS,
    'default_hooks': HOOKS, 'custom_hooks': HOOKS, 'visualizer': VISUALIZERS,
    'vis_backends': VISBACKENDS, 'log_processor': LOG_PROCESSORS, 'train_cfg': LOOPS,
    'val_cfg': LOOPS, 'test_cfg': LOOPS, 'train_pipeline': TRANSFORMS,
    'test_pipeline': TRANSFORMS, 'tta_pipeline': TRANSFORMS, 'train_dataloader': DATA_SAMPLERS,
    'val_dataloader': DATA_SAMPLERS, 'test_dataloader': DATA_SAMPLERS,
}
# Keys that switch the registry for the dict below them, wherever they appear.
_NESTED_REGISTRIES = {
    'init_cfg': WEIGHT_INITIALIZERS, 'dataset': DATASETS, 'datasets': DATASETS,
    'pipeline': TRANSFORMS, 'transforms': TRANSFORMS, 'data_preprocessor': MODELS,
    'optimizer': OPTIMIZERS, 'vis_backends': VISBACKENDS, 'metrics': METRICS,
}
# Subtrees left alone: activation types, init overrides (they carry 'name'), the dataloader's
# functions (mmengine's FUNCTIONS registry) and free-form metainfo.
_UNCHECKED_KEYS = ('act_cfg', 'override', 'collate_fn', 'worker_init_fn', 'metainfo')
# Constructor arguments the builder passes itself, so a config must not set them.
_INJECTED_ARGS = {OPTIMIZERS: ('params',), PARAM_SCHEDULERS: ('optimizer',),
                  LOOPS: ('runner', 'dataloader'), DATA_SAMPLERS: ('dataset',)}
# Keys the builder pops before calling the constructor.
_BUILDER_KEYS = {OPTIM_WRAPPERS: ('constructor', 'paramwise_cfg'),
                 PARAM_SCHEDULERS: ('convert_to_iter_based',), HOOKS: ('priority',),
                 WEIGHT_INITIALIZERS: ('override',)}
# Annotations whose values are checked, and the Python types each accepts.
_SIMPLE_ANNOTATIONS = {int: 'int', float: 'float', bool: 'bool', str: 'str', tuple: 'tuple',
                       list: 'list', type(None): 'None'}
_ACCEPTED_TYPES = {'int': (int,), 'float': (int, float), 'bool': (bool,), 'str': (str,),
                   'tuple': (tuple, list), 'list': (tuple, list), 'None': (type(None),)}
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


def load_config(path: str, cfg_options: typing.Optional[dict] = None) -> Config:
    """Load a config file, merge command-line overrides and validate the result.

    Args:
        path: The config file.
        cfg_options: Overrides such as ``{'model.decode_head.num_classes': 5}``, as parsed
            by mmengine's ``DictAction``.

    Returns:
        The merged config.

    Raises:
        ConfigError: The file is missing, has a syntax error or fails ``validate_config``.
    """
    if not osp.isfile(path):
        raise ConfigError(f'config file not found: {path}')
    if not path.endswith(('.py', '.json', '.yaml', '.yml')):
        raise ConfigError(f'{path} is not a config file (.py): the config comes first, e.g. '
                          'tools/test.py CONFIG CHECKPOINT')
    if path.endswith('.py'):
        _check_syntax(path)
        _check_base_loop(path, chain=())
    try:
        cfg = Config.fromfile(path)
    except FileNotFoundError as exc:
        raise ConfigError(f'{path}: file not found: {osp.normpath(exc.filename)}') from exc
    except SyntaxError as exc:
        raise ConfigError(f'{path}: syntax error in a _base_ file, line {exc.lineno}: '
                          f'{exc.msg}') from exc
    except Exception as exc:  # raised by the config's own code: NameError, ImportError, ...
        message = str(exc).strip().splitlines()
        raise ConfigError(f'{path}: cannot load the config: {type(exc).__name__}: '
                          f'{message[0] if message else ""}') from exc
    for key, value in (cfg_options or {}).items():
        try:
            cfg.merge_from_dict({key: value})
        except (KeyError, TypeError) as exc:  # an index past a list, a key below a number
            # mmengine's texts, without the list they print and the _delete_ advice
            reason = str(exc.args[0] if exc.args else exc).split(' [')[0].split(' You may')[0]
            raise ConfigError(f'--cfg-options {key}={value!r}: cannot set it in {path}: '
                              f'{reason}') from exc
    try:
        validate_config(cfg)
    except ImportError as exc:  # mmengine imports a config's imports lazily, on first use
        if not str(exc).startswith('Failed to import'):
            raise  # a broken registry location: segkit's bug, not the config's
        raise ConfigError(f'{path}: {exc}') from exc
    return cfg


def validate_config(cfg: Config) -> None:
    """Raise ConfigError on the first unknown key, unknown type or value of the wrong kind."""
    filename = cfg.filename or '<config>'
    _check_loops_and_loaders(cfg, filename)
    for key, value in cfg.items():
        if key.startswith('_') or inspect.ismodule(value) or inspect.isfunction(value):
            continue
        if key not in ALLOWED_TOP_LEVEL_KEYS:
            _fail(filename, f'unknown top-level key {key!r}; ' + _suggest(
                key, ALLOWED_TOP_LEVEL_KEYS, fallback="helper variables must start with '_'"))
        if key in _FIXED_KEYS and isinstance(value, dict):
            owner = 'DataLoader' if key.endswith('_dataloader') else key
            _check_keys(value, _FIXED_KEYS[key], path=key, owner=owner, filename=filename)
        registry = _TOP_LEVEL_REGISTRIES.get(key)
        if registry is METRICS and isinstance(value, dict) and 'metrics' in value:
            registry = EVALUATOR
        _walk_child(key, value, path=key, registry=registry, filename=filename)
    optimizer = (cfg.get('optim_wrapper') or {}).get('optimizer')
    if isinstance(optimizer, dict):
        _check_values(optimizer, _OPTIMIZER_VALUES, 'optim_wrapper.optimizer', filename)
        betas = optimizer.get('betas')
        if betas is not None and not (isinstance(betas, (tuple, list)) and len(betas) == 2 and
                                      all(_is_number(b) and 0 <= b < 1 for b in betas)):
            _fail(filename, f"'optim_wrapper.optimizer.betas' expects two numbers in [0, 1), "
                            f'got {_short_repr(betas)}')


def _check_loops_and_loaders(cfg: Config, filename: str) -> None:
    """Values of the dataloaders, and sampler/loop pairs that would never end."""
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if not isinstance(loader, dict):
            continue
        _check_values(loader, _DATALOADER_VALUES, f'{split}_dataloader', filename)
        if loader.get('persistent_workers') and not loader.get('num_workers'):
            _fail(filename, f"'{split}_dataloader.persistent_workers' is True but num_workers is "
                            f"{loader.get('num_workers', 0)}; set persistent_workers=False, or "
                            'num_workers >= 1')
        sampler = loader.get('sampler')
        if not (isinstance(sampler, dict) and _type_name(sampler.get('type')) == 'InfiniteSampler'):
            continue
        if split != 'train':
            _fail(filename, f"'{split}_dataloader.sampler.type' is InfiniteSampler: the "
                            f"{split} loop would never end; use dict(type='DefaultSampler', "
                            'shuffle=False)')
        train_cfg = cfg.get('train_cfg') or {}
        if _type_name(train_cfg.get('type')) == 'EpochBasedTrainLoop' or train_cfg.get('by_epoch'):
            _fail(filename, "'train_dataloader.sampler.type' is InfiniteSampler but train_cfg is "
                            'epoch-based: an epoch would never end; use '
                            "dict(type='DefaultSampler', shuffle=True), or "
                            "train_cfg=dict(type='IterBasedTrainLoop', max_iters=...)")


def _check_values(cfg: dict, rules: dict, path: str, filename: str) -> None:
    for key, (expected, test) in rules.items():
        if key in cfg and not test(cfg[key]):
            _fail(filename, f"'{path}.{key}' expects {expected}, got {_kind(cfg[key])} "
                            f'{_short_repr(cfg[key])}')


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _type_name(type_) -> str:
    """The class name that a config's ``type`` names ('mmengine.InfiniteSampler' ->
    'InfiniteSampler')."""
    return getattr(type_, '__name__', str(type_)).rsplit('.', 1)[-1]


def _check_syntax(path: str) -> None:
    """Parse the file itself, so that a syntax error names the file and line."""
    with open(path, encoding='utf-8') as file:
        source = file.read()
    try:
        ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise ConfigError(f'{path}, line {exc.lineno}: syntax error: {exc.msg}') from exc


def _check_base_loop(path: str, chain: tuple) -> None:
    """Fail when the ``_base_`` files of ``path`` include each other in a loop (mmengine
    recurses until Python's limit)."""
    path = osp.abspath(path)
    if path in chain:
        loop = ' -> '.join(_shown(p) for p in (*chain[chain.index(path):], path))
        raise ConfigError(f'{_shown(chain[0])}: _base_ files include each other in a loop: '
                          f'{loop}; remove one of these _base_ entries')
    try:
        with open(path, encoding='utf-8') as file:
            tree = ast.parse(file.read())
    except (OSError, SyntaxError, ValueError):
        return  # reported by the loader, naming the file
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == '_base_'
                                                for t in node.targets):
            try:
                bases = ast.literal_eval(node.value)
            except ValueError:
                return
            for base in [bases] if isinstance(bases, str) else bases:
                if isinstance(base, str) and base.endswith('.py'):
                    _check_base_loop(osp.join(osp.dirname(path), base), (*chain, path))


def _shown(path: str) -> str:
    """``path`` relative to the current folder when it is below it, else absolute."""
    relative = osp.relpath(path)
    return path if relative.startswith('..') else relative


def _walk(value, path: str, registry, filename: str) -> None:
    """Validate every dict in ``value``; ``registry`` builds the typed dicts at this position."""
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _walk(item, f'{path}[{index}]', registry=registry, filename=filename)
    elif isinstance(value, dict):
        if 'type' in value and registry is not None:
            _check_typed_dict(value, path=path, registry=registry, filename=filename)
        for key, child in value.items():
            _walk_child(key, child, path=f'{path}.{key}', registry=registry, filename=filename)


def _walk_child(key: str, value, path: str, registry, filename: str) -> None:
    """Validate the value found under ``key``, in the registry that the key implies."""
    if key == 'norm_cfg':
        _check_norm_cfg(value, path=path, filename=filename)
    elif key not in _UNCHECKED_KEYS:
        if key == 'sampler' and registry is MODELS:
            registry = TASK_UTILS
        registry = _NESTED_REGISTRIES.get(key, registry)
        _walk(value, path, registry=registry, filename=filename)


def _check_norm_cfg(norm_cfg, path: str, filename: str) -> None:
    """A norm_cfg names one of NORM_TYPES and sets only NORM_KEYS."""
    if not isinstance(norm_cfg, dict):
        return
    if norm_cfg.get('type') not in NORM_TYPES:
        _fail(filename, f"unknown norm type {norm_cfg.get('type')!r} at '{path}.type'; "
                        f"expected one of {', '.join(NORM_TYPES)}")
    _check_keys(norm_cfg, NORM_KEYS, path=path, owner='norm_cfg', filename=filename)


def _check_typed_dict(cfg: dict, path: str, registry, filename: str) -> None:
    """Resolve ``cfg['type']`` and check the keys and simple values against its signature."""
    obj = _resolve_type(cfg['type'], path=f'{path}.type', registry=registry, filename=filename)
    params = _init_parameters(obj, injected=_INJECTED_ARGS.get(registry, ()))
    if params is None:
        return
    valid = (*params, *_BUILDER_KEYS.get(registry, ()))
    owner = getattr(obj, '__name__', repr(obj))
    _check_keys(cfg, valid, path=path, owner=owner, filename=filename)
    for key, param in params.items():
        if key in cfg:
            _check_value(cfg[key], param, path=f'{path}.{key}', filename=filename)


def _check_keys(cfg: dict, valid, path: str, owner: str, filename: str) -> None:
    """Every key of ``cfg`` but 'type' and '_scope_' (mmengine's build pops them) is valid."""
    for key in cfg:
        if key not in valid and key not in ('type', '_scope_'):
            _fail(filename, f"unknown key '{path}.{key}' for {owner}; "
                  + _suggest(key, valid, fallback=f"valid keys: {', '.join(sorted(valid))}"))


def _resolve_type(type_, path: str, registry, filename: str):
    """The class or function that ``type_`` names in ``registry`` or its parents."""
    if not isinstance(type_, str):
        if callable(type_):
            return type_
        _fail(filename, f"'{path}' must be a registered name or a class, "
                        f'got {_kind(type_)} {_short_repr(type_)}')
    obj = _lookup(registry, type_)
    if obj is None:
        chain = list(_registry_chain(registry))
        names = sorted({name for reg in chain for name in reg.module_dict})
        close = difflib.get_close_matches(type_, names, n=5, cutoff=0.5)
        if close:
            hint = f"closest registered names: {', '.join(close)}"
        elif names:
            hint = f"registered names include: {', '.join(names[:5])}"
        else:
            hint = 'nothing is registered there'
        scopes = ', '.join(reg.scope for reg in chain)
        _fail(filename, f"unknown type {type_!r} at '{path}' (searched registry "
                        f'{registry.name!r} in scopes {scopes}); {hint}')
    return obj


def _lookup(registry, name: str):
    """What ``registry`` or its parents hold under ``name`` (or 'scope.Name'), or None.

    ``Registry.get`` first imports the registry's ``locations``; a module that fails to
    import raises there, loudly, rather than turning into an unknown type.
    """
    try:
        return registry.get(name)
    except RuntimeError:  # raised by Registry.get for names it cannot import
        return None


def _registry_chain(registry):
    """Yield ``registry`` and its parents."""
    while registry is not None:
        yield registry
        registry = registry.parent


def _init_parameters(obj, injected) -> typing.Optional[dict]:
    """The keyword parameters of ``obj(**cfg)`` by name, or None when it accepts any keyword.

    For a class, walks the MRO while each ``__init__`` takes ``**kwargs`` and collects the
    named parameters along the way. ``injected`` names are left out.
    """
    if inspect.isclass(obj):
        functions = [vars(cls)['__init__'] for cls in obj.__mro__ if '__init__' in vars(cls)]
    else:
        functions = [obj]
    params = {}
    for function in functions:
        if function is object.__init__:
            return None
        if function is torch.nn.Module.__init__:  # takes **kwargs but rejects them all
            return params
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):
            return None
        hints = _type_hints(function)
        takes_kwargs = False
        for param in list(signature.parameters.values())[inspect.isclass(obj):]:
            if param.kind is param.VAR_KEYWORD:
                takes_kwargs = True
            elif param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY) \
                    and param.name not in injected:
                annotation = hints.get(param.name, param.annotation)
                params.setdefault(param.name, param.replace(annotation=annotation))
        if not takes_kwargs:
            return params
    return None


def _type_hints(function) -> dict:
    """Evaluated annotations of ``function``; empty when they cannot be evaluated."""
    try:
        return typing.get_type_hints(function)
    except Exception:  # forward references, missing names: fall back to raw annotations
        return {}


def _check_value(value, param: inspect.Parameter, path: str, filename: str) -> None:
    """Reject a value of an obviously wrong kind for a simple annotation."""
    names = _expected_names(param.annotation)
    if names is None or (value is None and param.default is None):
        return
    accepted = tuple(t for name in names for t in _ACCEPTED_TYPES[name])
    valid = isinstance(value, accepted) and not (isinstance(value, bool) and 'bool' not in names)
    integral_float = 'int' in names and isinstance(value, float) and value.is_integer()
    if not (valid or integral_float):
        _fail(filename, f"'{path}' expects {' or '.join(names)}, "
                        f'got {_kind(value)} {_short_repr(value)}')


def _expected_names(annotation) -> typing.Optional[list]:
    """Names of the simple types ``annotation`` allows, or None when it cannot be decided."""
    if isinstance(annotation, type) and annotation in _SIMPLE_ANNOTATIONS:
        return [_SIMPLE_ANNOTATIONS[annotation]]
    origin = typing.get_origin(annotation)
    if origin in (tuple, list):
        return [origin.__name__]
    if origin in (typing.Union, types.UnionType):
        options = [_expected_names(arg) for arg in typing.get_args(annotation)]
        if None in options:
            return None
        return list(dict.fromkeys(name for names in options for name in names))
    return None


def _suggest(name: str, choices, fallback: str) -> str:
    """'did you mean ...?' for the closest choice, or ``fallback`` when none is close."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f'did you mean {close[0]!r}?' if close else fallback


def _kind(value) -> str:
    return 'dict' if isinstance(value, dict) else type(value).__name__


def _short_repr(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


def _fail(filename: str, message: str) -> typing.NoReturn:
    raise ConfigError(f'{filename}: {message}')
