"""Walk a config and check every typed dict against the registry that builds it.

``validate_config`` maps each position to the registry that builds it (``model.*`` ->
MODELS, ``*.pipeline[i]`` -> TRANSFORMS, ...). A dict with a ``type`` is resolved in that
registry and its keys are checked against the constructor, so a typo fails here with its
dotted path and the closest valid name, not deep inside the build.
"""
import difflib
import inspect

import mmengine.runner  # noqa: F401  (registers mmengine's hooks, loops, optimizers, ...)
from mmengine.config import Config

from segkit.config.messages import check_keys, fail, kind, short_repr, suggest
from segkit.config.type_checks import check_value, init_parameters
from segkit.config.value_rules import (ALLOWED_TOP_LEVEL_KEYS, FIXED_KEYS, check_loops_and_loaders,
                                       check_norm_cfg, check_optimizer)
from segkit.registry import (DATA_SAMPLERS, DATASETS, EVALUATOR, HOOKS, LOG_PROCESSORS, LOOPS,
                             METRICS, MODEL_WRAPPERS, MODELS, OPTIM_WRAPPERS, OPTIMIZERS,
                             PARAM_SCHEDULERS, TASK_UTILS, TRANSFORMS, VISBACKENDS, VISUALIZERS,
                             WEIGHT_INITIALIZERS)

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


def validate_config(cfg: Config) -> None:
    """Raise ConfigError on the first unknown key, unknown type or value of the wrong kind."""
    filename = cfg.filename or '<config>'
    check_loops_and_loaders(cfg, filename)
    for key, value in cfg.items():
        if key.startswith('_') or inspect.ismodule(value) or inspect.isfunction(value):
            continue
        if key not in ALLOWED_TOP_LEVEL_KEYS:
            fail(filename, f'unknown top-level key {key!r}; ' + suggest(
                key, ALLOWED_TOP_LEVEL_KEYS, fallback="helper variables must start with '_'"))
        if key in FIXED_KEYS and isinstance(value, dict):
            owner = 'DataLoader' if key.endswith('_dataloader') else key
            check_keys(value, FIXED_KEYS[key], path=key, owner=owner, filename=filename)
        registry = _TOP_LEVEL_REGISTRIES.get(key)
        if registry is METRICS and isinstance(value, dict) and 'metrics' in value:
            registry = EVALUATOR
        _walk_child(key, value, path=key, registry=registry, filename=filename)
    check_optimizer(cfg, filename)


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
        check_norm_cfg(value, path=path, filename=filename)
    elif key not in _UNCHECKED_KEYS:
        if key == 'sampler' and registry is MODELS:
            registry = TASK_UTILS
        registry = _NESTED_REGISTRIES.get(key, registry)
        _walk(value, path, registry=registry, filename=filename)


def _check_typed_dict(cfg: dict, path: str, registry, filename: str) -> None:
    """Resolve ``cfg['type']`` and check the keys and simple values against its signature."""
    obj = _resolve_type(cfg['type'], path=f'{path}.type', registry=registry, filename=filename)
    params = init_parameters(obj, injected=_INJECTED_ARGS.get(registry, ()))
    if params is None:
        return
    valid = (*params, *_BUILDER_KEYS.get(registry, ()))
    owner = getattr(obj, '__name__', repr(obj))
    check_keys(cfg, valid, path=path, owner=owner, filename=filename)
    for key, param in params.items():
        if key in cfg:
            check_value(cfg[key], param, path=f'{path}.{key}', filename=filename)


def _resolve_type(type_, path: str, registry, filename: str):
    """The class or function that ``type_`` names in ``registry`` or its parents."""
    if not isinstance(type_, str):
        if callable(type_):
            return type_
        fail(filename, f"'{path}' must be a registered name or a class, "
                       f'got {kind(type_)} {short_repr(type_)}')
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
        fail(filename, f"unknown type {type_!r} at '{path}' (searched registry "
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

