"""SLURM's task variables mapped to torch.distributed's."""
import pytest

from segkit.utils.errors import ConfigError
from segkit.utils.slurm import first_host, slurm_to_torch_env


@pytest.mark.parametrize('nodelist, host', [
    ('localhost', 'localhost'), ('gpu[03-05,09],cpu1', 'gpu03'), ('n[7],m2', 'n7'),
    ('a1,b[1-2]', 'a1'), ('rack[1-2]-n[07-08]', 'rack1-n07'),
    ('node-12.cluster', 'node-12.cluster')])
def test_first_host(nodelist, host):
    assert first_host(nodelist) == host


def test_bad_nodelist():
    with pytest.raises(ConfigError, match=r"SLURM_NODELIST='n\[1': expected a SLURM node list"):
        first_host('n[1')


def test_task_variables_become_torchrun_ones():
    env = {'SLURM_PROCID': '5', 'SLURM_NTASKS': '8', 'SLURM_LOCALID': '1',
           'SLURM_NODELIST': 'gpu[02-05]'}
    assert slurm_to_torch_env(env) == {'RANK': '5', 'LOCAL_RANK': '1', 'WORLD_SIZE': '8',
                                       'MASTER_ADDR': 'gpu02', 'MASTER_PORT': '29500'}
    env.update(MASTER_ADDR='10.0.0.1', MASTER_PORT='29612')
    del env['SLURM_LOCALID']
    assert slurm_to_torch_env(env) == {'RANK': '5', 'LOCAL_RANK': '0', 'WORLD_SIZE': '8',
                                       'MASTER_ADDR': '10.0.0.1', 'MASTER_PORT': '29612'}


@pytest.mark.parametrize('env, message', [
    ({'SLURM_NTASKS': '2'}, '--launcher slurm: SLURM_PROCID, SLURM_NODELIST not set; start with '
     'srun (tools/slurm_train.sh, tools/slurm_test.sh)'),
    ({'SLURM_PROCID': 'x', 'SLURM_NTASKS': '2', 'SLURM_NODELIST': 'n1'},
     "SLURM_PROCID='x': expected a whole number >= 0"),
    ({'SLURM_PROCID': '2', 'SLURM_NTASKS': '2', 'SLURM_NODELIST': 'n1'},
     'SLURM_PROCID=2 is not below SLURM_NTASKS=2'),
])
def test_bad_task_variables(env, message):
    with pytest.raises(ConfigError) as error:
        slurm_to_torch_env(env)
    assert str(error.value) == message
