"""torchrun for tools/dist_train.sh and tools/dist_test.sh, its failures told in one line.

``python -m segkit.utils.launch [torchrun options] SCRIPT [script options]`` runs torchrun
(``torch.distributed.run``) with the same options, but:

- its node rendezvous waits at most :func:`~segkit.utils.distributed.start_timeout` seconds
  (unless ``--rdzv-conf`` is given), then says how many nodes came;
- when a process fails, torchrun's traceback and report are left out: a process that
  printed its own ``error:`` line (status 2) is not repeated, and any other failure is
  one ``error:`` line naming the process, its status, and that its output is above
  (processes stopped because another one ended come last).
"""
import logging
import re
import sys

import torch.distributed as dist
from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
from torch.distributed.run import parse_args, run

from .cli import PEER_LOST, REPORTED
from .distributed import START_TIMEOUT_ENV, start_timeout
from .errors import ConfigError


def main(argv=None) -> int:
    """Run torchrun with ``argv``; the exit status (0, or the failed process's)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        seconds = start_timeout({})
    except ConfigError as e:
        print(f'error: {e}', file=sys.stderr)
        return REPORTED
    if not any(a.startswith(('--rdzv-conf', '--rdzv_conf')) for a in argv):
        argv = [f'--rdzv-conf=timeout={max(1, round(seconds))}', *argv]
    args = parse_args(argv)
    # torchrun logs each process it stops and each failure; the line below says what matters
    logging.getLogger('torch.distributed.elastic').setLevel(logging.CRITICAL)
    try:
        run(args)
    except ChildFailedError as e:
        # the cause first: a reported mistake, a crash, then processes stopped by its loss
        failures = sorted(e.failures.items(), key=lambda item: (
            item[1].exitcode != REPORTED, item[1].exitcode in (PEER_LOST, -15) or
            item[1].exitcode <= 0, item[0]))
        rank, failure = failures[0]
        if failure.exitcode == REPORTED:
            return REPORTED
        status = (f'signal {-failure.exitcode}' if failure.exitcode < 0
                  else f'status {failure.exitcode}')
        print(f'error: process {rank} (pid {failure.pid}) of {args.training_script} ended with '
              f'{status}; its output is above', file=sys.stderr)
        return failure.exitcode if failure.exitcode > 0 else 1
    except dist.DistStoreError as e:  # the node rendezvous timed out
        came = re.search(r'(\d+)/(\d+) clients joined', str(e))
        counts = (f'{came.group(2)} nodes expected (--nnodes, NNODES), {came.group(1)} came'
                  if came else str(e).splitlines()[0])
        print(f'error: distributed start: {counts} within {seconds:g} s; start '
              'tools/dist_train.sh (or dist_test.sh) on every node with the same NNODES, '
              f'MASTER_ADDR and PORT and NODE_RANK 0..NNODES-1 ({START_TIMEOUT_ENV} sets the '
              'wait)', file=sys.stderr)
        return REPORTED
    return 0


if __name__ == '__main__':
    sys.exit(main())
