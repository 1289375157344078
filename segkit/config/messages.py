"""The pieces of a config error: the file, the key, what was found, a close valid name."""
import difflib
import typing

from segkit.utils.errors import ConfigError


def check_keys(cfg: dict, valid, path: str, owner: str, filename: str) -> None:
    """Every key of ``cfg`` but 'type' and '_scope_' (mmengine's build pops them) is valid."""
    for key in cfg:
        if key not in valid and key not in ('type', '_scope_'):
            fail(filename, f"unknown key '{path}.{key}' for {owner}; "
                 + suggest(key, valid, fallback=f"valid keys: {', '.join(sorted(valid))}"))


def suggest(name: str, choices, fallback: str) -> str:
    """'did you mean ...?' for the closest choice, or ``fallback`` when none is close."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f'did you mean {close[0]!r}?' if close else fallback


def kind(value) -> str:
    return 'dict' if isinstance(value, dict) else type(value).__name__


def short_repr(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


def fail(filename: str, message: str) -> typing.NoReturn:
    raise ConfigError(f'{filename}: {message}')

