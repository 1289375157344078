"""Run a command-line entry point, printing user mistakes as one message."""
import argparse
import ast
import gc
import sys
from typing import Any, Callable

import torch.distributed as dist
from mmengine.config import DictAction

from .errors import SegkitError

# mmengine re-formats the config at every checkpoint save, and turns whatever interrupts
# the formatting (Ctrl-C, a dead data-loader worker) into a SyntaxError with this text.
_FORMAT_FAILED = 'Failed to format the config file'
# gloo's errors in a collective whose peer process has ended.
_PEER_LOST_TEXTS = ('Connection closed by peer', 'Connection reset by peer', 'Broken pipe')
# DDP's error when the processes' models differ (shapes of the same parameter).
_DIFFERENT_MODELS = 'appears not to match sizes of the same param in process'
# Exit status after a user mistake printed as one 'error:' line.
REPORTED = 2
# Exit status of a process stopped because another process of its run ended.
PEER_LOST = 3


class CfgOptionsAction(DictAction):
    """mmengine's ``DictAction`` (``--cfg-options KEY=VALUE ...``); an item it cannot parse
    is an argparse error naming the item, not a traceback. A value holding ``dict(...)``
    is read as configs write it, literals only (e.g. ``"visualizer.vis_backends=[dict(
    type='LocalVisBackend'), dict(type='TensorboardVisBackend')]"``), where ``DictAction``
    keeps strings or fails."""

    def __call__(self, parser, namespace, values, option_string=None):
        dicts, plain = {}, []
        for item in values:
            key, equals, value = item.partition('=')
            if equals and 'dict(' in value:
                try:
                    dicts[key] = _literal(ast.parse(value.strip(), mode='eval').body)
                except (ValueError, TypeError, SyntaxError) as e:
                    raise argparse.ArgumentError(
                        self, f'cannot parse {item!r}: {e}; dict(...) values take literals '
                        'only (numbers, quoted strings, True/False/None, lists, tuples, '
                        'dict(...))') from None
                continue
            try:
                super().__call__(parser, argparse.Namespace(), [item], option_string)
            except (ValueError, AssertionError) as e:
                reason = 'expected KEY=VALUE' if '=' not in item else str(e)
                raise argparse.ArgumentError(self, f'cannot parse {item!r}: {reason}') from None
            plain.append(item)
        super().__call__(parser, namespace, plain, option_string)
        getattr(namespace, self.dest).update(dicts)


def _literal(node: ast.expr) -> Any:
    """The value of a literal expression, ``dict(key=literal, ...)`` calls included."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id == 'dict' and not node.args:
        if any(keyword.arg is None for keyword in node.keywords):
            raise ValueError('dict(**...) is not a literal')
        return {keyword.arg: _literal(keyword.value) for keyword in node.keywords}
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_literal(element) for element in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise ValueError(f'{ast.unparse(node)} is not a literal (strings need quotes)') from None


def run_cli(main: Callable[[], None]) -> None:
    """Call ``main``; a :class:`SegkitError` prints ``error: ...`` and exits with status 2
    (:data:`REPORTED`).

    An error raised in a data-loader worker arrives wrapped with the worker's traceback;
    only its own message is printed.

    After ``main`` returns, a process group it started (under torchrun) is destroyed, and
    the objects still holding it (the DDP model, in reference cycles) are collected, which
    stops gloo's worker threads. Left to interpreter shutdown, a worker thread releasing
    the tensors of the last collective needs the GIL and aborts the process
    ("terminate called without an active exception"). Nothing is torn down after an
    error, where other ranks may still wait in a collective.

    Also printed as one line: an ``OSError`` (naming the file), and an interrupt (status
    130). In a distributed run, a process whose collective fails because another process
    ended prints one line without a traceback and exits with status 3 (:data:`PEER_LOST`):
    the other process's message is the one that matters. Processes that built different
    models (DDP's check at start) are one line too. What mmengine reports as a failure to
    format the config during a checkpoint save is reported as what interrupted it.
    """
    try:
        try:
            main()
        except SyntaxError as e:
            cause = e.__context__
            if _FORMAT_FAILED in str(e) and cause is not None:
                raise cause from None
            raise
    except SegkitError as e:
        message = str(e)
        if 'Original Traceback' in message:
            message = message.rstrip().splitlines()[-1].split(': ', 1)[-1]
        _exit(message, REPORTED)
    except OSError as e:
        files = ' -> '.join(str(f) for f in (e.filename, e.filename2) if f is not None)
        _exit(f'{files}: {e.strerror}' if files and e.strerror else str(e), REPORTED)
    except KeyboardInterrupt:
        _exit('interrupted; checkpoints already written are whole (continue a training with '
              '--resume)', 130)
    except RuntimeError as e:
        if _peer_lost(e):  # the process that failed printed why: no second traceback
            print(f'process {dist.get_rank()} stopped: another process of this run ended (see '
                  'its error above)', file=sys.stderr)
            sys.exit(PEER_LOST)
        if _DIFFERENT_MODELS in str(e):  # DDP compares the processes' parameters at start
            _exit(f'the processes of this run built different models ({str(e).splitlines()[0]}'
                  '); start every process with the same config, --cfg-options and code', REPORTED)
        if 'DataLoader worker' not in str(e):
            raise
        _exit(f'{str(e).splitlines()[0]} (out of memory? try fewer '
              'train_dataloader.num_workers or a smaller batch_size)', 1)
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
        gc.collect()


def _peer_lost(error: RuntimeError) -> bool:
    """Whether ``error`` is a collective failing because another process of the run ended."""
    return dist.is_available() and dist.is_initialized() and any(
        text in str(error) for text in _PEER_LOST_TEXTS)


def _exit(message: str, status: int) -> None:
    print(f'error: {message}', file=sys.stderr)
    sys.exit(status)
