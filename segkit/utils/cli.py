"""Run a command-line entry point, printing user mistakes as one message."""
import gc
import sys
from typing import Callable

import torch.distributed as dist

from .errors import SegkitError


def run_cli(main: Callable[[], None]) -> None:
    """Call ``main``; a :class:`SegkitError` prints ``error: ...`` and exits with status 2.

    An error raised in a data-loader worker arrives wrapped with the worker's traceback;
    only its own message is printed.

    After ``main`` returns, a process group it started (under torchrun) is destroyed, and
    the objects still holding it (the DDP model, in reference cycles) are collected, which
    stops gloo's worker threads. Left to interpreter shutdown, a worker thread releasing
    the tensors of the last collective needs the GIL and aborts the process
    ("terminate called without an active exception"). Nothing is torn down after an
    error, where other ranks may still wait in a collective.
    """
    try:
        main()
    except SegkitError as e:
        message = str(e)
        if 'Original Traceback' in message:
            message = message.rstrip().splitlines()[-1].split(': ', 1)[-1]
        print(f'error: {message}', file=sys.stderr)
        sys.exit(2)
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
        gc.collect()
