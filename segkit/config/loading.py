"""Loading a config file: missing files, syntax errors and _base_ loops named, overrides
merged, the result validated."""
import ast
import os.path as osp
import typing

from mmengine.config import Config

from segkit.config.registry_walk import validate_config
from segkit.utils.errors import ConfigError


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

