"""Map the variables SLURM sets for each task of ``srun`` to torch.distributed's."""
import re
from typing import Dict, Mapping

from .errors import ConfigError

# Set by srun for every task; the 'slurm' launcher reads them.
SLURM_ENV = ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST')
DEFAULT_PORT = '29500'


def first_host(nodelist: str) -> str:
    """The first host of a SLURM node list, as ``scontrol show hostnames`` lists it first.

    ``'gpu[03-05,09],cpu1'`` -> ``'gpu03'``; ``'rack[1-2]-n[7-8]'`` -> ``'rack1-n7'``.
    Each bracket expands to its first number, zero padding kept.
    """
    first = re.split(r',(?![^\[]*\])', nodelist.strip())[0]
    host = re.sub(r'\[([^\]\-,]+)[^\]]*\]', r'\1', first)
    if not host or re.search(r'[\[\],\s]', host):
        raise ConfigError(f'SLURM_NODELIST={nodelist!r}: expected a SLURM node list such as '
                          "'node[01-04],gpu7'")
    return host


def slurm_to_torch_env(environ: Mapping[str, str]) -> Dict[str, str]:
    """The torchrun variables (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) of
    the SLURM task described by ``environ``.

    RANK is SLURM_PROCID, WORLD_SIZE SLURM_NTASKS, LOCAL_RANK SLURM_LOCALID (0 when unset),
    MASTER_ADDR the first host of SLURM_NODELIST, MASTER_PORT 29500; a MASTER_ADDR or
    MASTER_PORT already in ``environ`` is kept (tools/slurm_train.sh sets MASTER_PORT from
    PORT), so jobs sharing a node can use different ports.
    """
    missing = [name for name in SLURM_ENV if name not in environ]
    if missing:
        raise ConfigError(f'--launcher slurm: {", ".join(missing)} not set; start with srun '
                          '(tools/slurm_train.sh, tools/slurm_test.sh)')
    values = {}
    for name in ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_LOCALID'):
        value = environ.get(name, '0')
        if not value.isdigit():
            raise ConfigError(f'{name}={value!r}: expected a whole number >= 0')
        values[name] = int(value)
    if not values['SLURM_PROCID'] < values['SLURM_NTASKS']:
        raise ConfigError(f'SLURM_PROCID={values["SLURM_PROCID"]} is not below SLURM_NTASKS='
                          f'{values["SLURM_NTASKS"]}')
    return {'RANK': str(values['SLURM_PROCID']),
            'LOCAL_RANK': str(values['SLURM_LOCALID']),
            'WORLD_SIZE': str(values['SLURM_NTASKS']),
            'MASTER_ADDR': environ.get('MASTER_ADDR') or first_host(environ['SLURM_NODELIST']),
            'MASTER_PORT': environ.get('MASTER_PORT') or DEFAULT_PORT}
