"""Config values checked against the type hints of the constructor they are passed to."""
import ast
import functools
import inspect
import textwrap
import types
import typing

import torch

from segkit.config.messages import fail, kind, short_repr

# Annotations whose values are checked, and the Python types each accepts.
_SIMPLE_ANNOTATIONS = {int: 'int', float: 'float', bool: 'bool', str: 'str', tuple: 'tuple',
                       list: 'list', type(None): 'None'}
_ACCEPTED_TYPES = {'int': (int,), 'float': (int, float), 'bool': (bool,), 'str': (str,),
                   'tuple': (tuple, list), 'list': (tuple, list), 'None': (type(None),)}


def init_parameters(obj, injected) -> typing.Optional[dict]:
    """The keyword parameters of ``obj(**cfg)`` by name, or None when it accepts any keyword.

    For a class, walks the MRO while each ``__init__`` takes ``**kwargs`` and collects the
    named parameters along the way, except those a subclass passes to ``super().__init__``
    itself (``NLHead`` sets FCNHead's ``num_convs``). ``injected`` names are left out.
    """
    if inspect.isclass(obj):
        functions = [vars(cls)['__init__'] for cls in obj.__mro__ if '__init__' in vars(cls)]
    else:
        functions = [obj]
    params, fixed = {}, set()
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
                    and param.name not in injected and param.name not in fixed:
                annotation = hints.get(param.name, param.annotation)
                params.setdefault(param.name, param.replace(annotation=annotation))
        if not takes_kwargs:
            return params
        fixed |= _passed_to_super(function)
    return None


@functools.lru_cache(maxsize=None)
def _passed_to_super(function) -> frozenset:
    """Keywords that ``function`` (an ``__init__``) passes to ``super().__init__`` itself."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):  # no source: compiled or generated
        return frozenset()
    return frozenset(
        keyword.arg for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr == '__init__' and isinstance(node.func.value, ast.Call)
        and getattr(node.func.value.func, 'id', None) == 'super'
        for keyword in node.keywords if keyword.arg is not None)


def _type_hints(function) -> dict:
    """Evaluated annotations of ``function``; empty when they cannot be evaluated."""
    try:
        return typing.get_type_hints(function)
    except Exception:  # forward references, missing names: fall back to raw annotations
        return {}


def check_value(value, param: inspect.Parameter, path: str, filename: str) -> None:
    """Reject a value of an obviously wrong kind for a simple annotation."""
    names = _expected_names(param.annotation)
    if names is None or (value is None and param.default is None):
        return
    accepted = tuple(t for name in names for t in _ACCEPTED_TYPES[name])
    valid = isinstance(value, accepted) and not (isinstance(value, bool) and 'bool' not in names)
    integral_float = 'int' in names and isinstance(value, float) and value.is_integer()
    if not (valid or integral_float):
        fail(filename, f"'{path}' expects {' or '.join(names)}, "
                       f'got {kind(value)} {short_repr(value)}')


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

