"""Run a command-line entry point, printing user mistakes as one message."""
import sys
from typing import Callable

from .errors import SegkitError


def run_cli(main: Callable[[], None]) -> None:
    """Call ``main``; a :class:`SegkitError` prints ``error: ...`` and exits with status 2.

    An error raised in a data-loader worker arrives wrapped with the worker's traceback;
    only its own message is printed.
    """
    try:
        main()
    except SegkitError as e:
        message = str(e)
        if 'Original Traceback' in message:
            message = message.rstrip().splitlines()[-1].split(': ', 1)[-1]
        print(f'error: {message}', file=sys.stderr)
        sys.exit(2)
