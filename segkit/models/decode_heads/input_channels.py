"""A head config's input channels, taken from (or checked against) the backbone's outputs."""
import inspect
from typing import Optional, Sequence

from segkit.registry import MODELS
from segkit.utils.errors import ConfigError


def _default(cls, name: str, fallback):
    """The default of ``cls.__init__``'s parameter ``name`` along the MRO, else ``fallback``."""
    for klass in getattr(cls, '__mro__', ()):
        if '__init__' in vars(klass):
            param = inspect.signature(vars(klass)['__init__']).parameters.get(name)
            if param is not None and param.default is not param.empty:
                return param.default
    return fallback


def _as_list(value):
    return [int(v) for v in value] if isinstance(value, (list, tuple)) else int(value)


def fill_in_channels(head: dict, out_channels: Optional[Sequence[int]], name: str,
                     source: str) -> dict:
    """``head`` with ``in_channels`` set from ``out_channels`` at its ``in_index`` when unset.

    A given ``in_channels`` must equal the channels there. The head class's
    ``feature_channel_args`` (``{argument: output index}``, e.g. DeepLabV3+'s
    ``c1_in_channels``) are filled and checked the same way (0 stays: "no such input").

    Args:
        head: the head config.
        out_channels: channels of each backbone (or neck) output; None when unknown.
        name: the config key of the head, for messages (``'decode_head'``).
        source: what gives the outputs, for messages (``"the backbone (ResNetV1c)"``).

    Raises:
        ConfigError: ``in_index`` names an output that does not exist, a given channel
            number differs from the output's, or ``in_channels`` is unset and unknown.
    """
    head = dict(head)
    cls = MODELS.get(head['type']) if isinstance(head.get('type'), str) else head.get('type')
    if out_channels is None:
        if head.get('in_channels') is None:
            raise ConfigError(f'model.{name}.in_channels is not set, and {source} does not '
                              'report its output channels: set in_channels')
        return head
    out_channels = tuple(int(c) for c in out_channels)
    outputs = f"{len(out_channels)} outputs with {', '.join(map(str, out_channels))} channels"
    in_index = head.get('in_index', _default(cls, 'in_index', -1))
    indices = [in_index] if isinstance(in_index, int) else list(in_index)
    if not all(isinstance(i, int) and -len(out_channels) <= i < len(out_channels)
               for i in indices):
        raise ConfigError(f'model.{name}.in_index={in_index!r} does not fit {source}: it gives '
                          f'{outputs}')
    expected = out_channels[in_index] if isinstance(in_index, int) \
        else [out_channels[i] for i in indices]
    given = head.get('in_channels')
    if given is None:
        head['in_channels'] = expected
    elif _as_list(given) != expected:
        raise ConfigError(f'model.{name}.in_channels={given!r} does not fit '
                          f'in_index={in_index!r}: {source} gives {expected} channels there '
                          f'({outputs})')
    for arg, index in getattr(cls, 'feature_channel_args', {}).items():
        given = head.get(arg)
        if given is None:
            head[arg] = out_channels[index]
        elif given != 0 and given != out_channels[index]:
            raise ConfigError(f'model.{name}.{arg}={given!r} does not fit {source}: its output '
                              f'{index} has {out_channels[index]} channels ({outputs})')
    return head
