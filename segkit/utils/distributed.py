"""Start the process group of a distributed run, waiting a bounded time for every process."""
import datetime
import os
import socket
import time
from typing import Optional

import torch.distributed as dist

from .errors import ConfigError

START_TIMEOUT_ENV = 'SEGKIT_DIST_START_TIMEOUT'
DEFAULT_START_TIMEOUT = 300  # seconds
_ARRIVED = 'segkit_start/{restart}/arrived/{rank}'


def start_timeout(dist_cfg: dict) -> float:
    """Seconds to wait for every process at start: ``$SEGKIT_DIST_START_TIMEOUT``, else
    ``env_cfg.dist_cfg.start_timeout``, else 300."""
    value, name = os.environ.get(START_TIMEOUT_ENV), START_TIMEOUT_ENV
    if value is None:
        value, name = dist_cfg.get('start_timeout', DEFAULT_START_TIMEOUT), \
            'env_cfg.dist_cfg.start_timeout'
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1
    if isinstance(value, bool) or not seconds > 0:
        raise ConfigError(f'{name}={value!r}: expected the seconds to wait for all processes '
                          'at start, a number > 0')
    return seconds


def start_process_group(backend: str, launcher: str, dist_cfg: dict,
                        timeout: Optional[float] = None) -> None:
    """Start the default process group from torchrun's variables (RANK, WORLD_SIZE,
    MASTER_ADDR, MASTER_PORT), once all WORLD_SIZE processes have come.

    A process that waits longer than :func:`start_timeout` for the others stops with a
    :class:`ConfigError` saying how many processes were expected, how many came, and how
    to start them, instead of waiting forever (an allocation started without srun, a
    rank that died at start, a wrong process count).

    Args:
        backend: 'nccl' or 'gloo'.
        launcher: 'pytorch' or 'slurm', named in the message.
        dist_cfg: ``env_cfg.dist_cfg`` (its ``start_timeout``).
        timeout: seconds a collective may wait once started (None: torch's default).
    """
    seconds = start_timeout(dist_cfg)
    rank, world_size = int(os.environ['RANK']), int(os.environ['WORLD_SIZE'])
    host, port = os.environ['MASTER_ADDR'], int(os.environ['MASTER_PORT'])
    how = ('start one task per process with srun (tools/slurm_train.sh, tools/slurm_test.sh), '
           'not python alone' if launcher == 'slurm' else
           'start them with torchrun --nnodes=NODES --nproc-per-node=PROCESSES_PER_NODE on every '
           'node (tools/dist_train.sh, tools/dist_test.sh)')
    expected = (f'{world_size} processes expected (WORLD_SIZE'
                f'{" from SLURM_NTASKS" if launcher == "slurm" else ""})')
    deadline = time.monotonic() + seconds
    # Under torchrun the agent already serves a store at MASTER_ADDR:MASTER_PORT.
    agent_store = os.environ.get('TORCHELASTIC_USE_AGENT_STORE') == 'True'
    is_master = rank == 0 and not agent_store
    if not is_master and not _reachable(host, port, deadline):
        raise ConfigError(f'distributed start: rank {rank} found no rank 0 at {host}:{port} '
                          f'within {seconds:g} s, {expected}; {how} ({START_TIMEOUT_ENV} sets '
                          'the wait)')
    store = dist.TCPStore(host, port, world_size, is_master=is_master,
                          timeout=datetime.timedelta(seconds=seconds), wait_for_workers=False,
                          multi_tenant=True)
    keys = [_ARRIVED.format(restart=os.environ.get('TORCHELASTIC_RESTART_COUNT', 0), rank=r)
            for r in range(world_size)]
    try:
        store.set(keys[rank], '1')
        _wait_for_all(store, keys, deadline, f'{expected}, {{came}} came within {seconds:g} s '
                      f'(missing {{missing}}); {how} ({START_TIMEOUT_ENV} sets the wait)')
    except dist.DistError:  # rank 0, which serves the store, ended
        raise ConfigError(f'distributed start: rank 0 at {host}:{port} ended before all '
                          f'{world_size} processes came; see its error') from None
    store.set_timeout(datetime.timedelta(seconds=timeout) if timeout is not None
                      else dist.default_pg_timeout)
    dist.init_process_group(backend=backend, store=store, rank=rank, world_size=world_size,
                            timeout=None if timeout is None else datetime.timedelta(
                                seconds=timeout))


def _wait_for_all(store: dist.Store, keys: list, deadline: float, message: str) -> None:
    """Return once every key is in ``store``; past ``deadline`` a :class:`ConfigError` of
    ``message`` with ``{came}`` and ``{missing}`` filled in. Polled: a timed-out wait logs
    socket warnings."""
    while not store.check(keys):
        if time.monotonic() > deadline:
            missing = [r for r, key in enumerate(keys) if not store.check([key])]
            shown = ', '.join(map(str, missing[:8])) + (', ...' if len(missing) > 8 else '')
            raise ConfigError('distributed start: ' + message.format(
                came=len(keys) - len(missing),
                missing=f'rank{"s" if len(missing) > 1 else ""} {shown}'))
        time.sleep(0.05)


def _reachable(host: str, port: int, deadline: float) -> bool:
    """Whether ``host:port`` accepts a connection before ``deadline`` (polled, quietly:
    TCPStore's own retries log each failed try)."""
    while True:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
