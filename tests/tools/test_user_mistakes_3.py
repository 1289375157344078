"""A third battery of user mistakes and faults: no loss, no hang, contradictory flags
refused, state that stays in its folder, errors aimed at the file at fault (exact texts)."""
import importlib.util
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch.distributed as dist
from PIL import Image

import segkit.apis.train as train_api
import segkit.datasets.demo_data as demo_data
from segkit.analysis.confusion_matrix import build_test_dataset, pairs_from_predictions
from segkit.apis import run_train
from segkit.checkpoint import latest_checkpoint
from segkit.checkpoint.trusted import trust_checkpoint
from segkit.config import load_config
from segkit.datasets.converters.cityscapes import convert_cityscapes
from segkit.datasets.converters.voc_aug import read_sbd_mat
from segkit.datasets.demo_data import prepare_demo_data
from segkit.deploy.backends import load_backend
from segkit.utils.cli import run_cli
from segkit.utils.distributed import start_process_group, start_timeout
from segkit.utils.errors import CheckpointError, ConfigError, DataError, DeployError

from tests.deploy.deploy_models import tiny_model_files
from tests.helpers import REPO
from tests.tiny_training import QUICKSTART, cli_options, run_tool
from tests.tools.test_dist_train_test import free_port
from tests.tools.test_user_mistakes import fails, one_line_error, options, train


def files(root: str) -> dict:
    """Relative path -> bytes of every file under ``root``."""
    return {osp.relpath(osp.join(d, n), root): open(osp.join(d, n), 'rb').read()
            for d, _, names in os.walk(root) for n in names}


# Data loss.

def test_demo_copy_with_the_users_photos_is_not_regenerated(demo_root, tmp_path):
    """A copy of the demo folder (marker included) whose images are the user's photos,
    asked for other sizes: refused, every file kept."""
    data = shutil.copytree(demo_root, str(tmp_path / 'mine'))
    with open(osp.join(data, 'JPEGImages/demo_train_0000.jpg'), 'wb') as f:
        f.write(b'my holiday photo')
    with open(osp.join(data, 'JPEGImages/IMG_0001.jpg'), 'wb') as f:
        f.write(b'another photo')
    before = files(data)
    fails(DataError, f'{data} holds files that the demo data generator did not write '
          '(JPEGImages/IMG_0001.jpg added, JPEGImages/demo_train_0000.jpg changed); generating '
          'the demo data there would replace them, so it stops. For your own data in the VOC '
          'layout use PascalVOCDataset; for the demo data choose an empty or new data_root',
          prepare_demo_data, data, num_train=4, num_val=2, size=32)
    assert files(data) == before


def test_demo_folder_of_an_older_segkit_is_not_replaced(demo_root, tmp_path):
    data = shutil.copytree(demo_root, str(tmp_path / 'old'))
    with open(osp.join(data, '.complete'), 'w') as f:
        f.write('{"version": 2, "num_train": 24, "num_val": 8, "size": 64, "seed": 0}')
    before = files(data)
    fails(DataError, f'{data} holds files that the demo data generator did not write (its '
          '.complete marker, from an older segkit, does not list the files it wrote); '
          'generating the demo data there would replace them, so it stops. For your own data '
          'in the VOC layout use PascalVOCDataset; for the demo data choose an empty or new '
          'data_root', prepare_demo_data, data, num_train=4, num_val=2, size=32)
    assert files(data) == before
    assert prepare_demo_data(data, num_train=24, num_val=8, size=64) == data  # same sizes: used


def test_demo_folder_it_wrote_is_regenerated_in_place(demo_root, tmp_path):
    data = shutil.copytree(demo_root, str(tmp_path / 'demo'))
    prepare_demo_data(data, num_train=4, num_val=2, size=32)
    assert sorted(os.listdir(osp.join(data, 'JPEGImages'))) == [
        'demo_train_0000.jpg', 'demo_train_0001.jpg', 'demo_train_0002.jpg',
        'demo_train_0003.jpg', 'demo_val_0000.jpg', 'demo_val_0001.jpg']
    assert sorted(os.listdir(tmp_path)) == ['demo']


# Hangs: a distributed start whose other processes never come ends in bounded time.

def test_slurm_launcher_without_srun_ends_with_one_line(demo_root, tmp_path):
    """An allocation of 2 tasks started as one plain process: rank 0 waits 1 s, not forever."""
    port = free_port()
    env = dict(os.environ, SLURM_PROCID='0', SLURM_NTASKS='2', SLURM_NODELIST='localhost',
               MASTER_PORT=str(port), SEGKIT_DIST_START_TIMEOUT='1')
    proc = run_tool('tools/train.py', QUICKSTART, '--launcher', 'slurm', '--work-dir',
                    str(tmp_path / 'work'), '--cfg-options',
                    *cli_options(options(demo_root)), env=env)
    assert one_line_error(proc) == (
        'distributed start: 2 processes expected (WORLD_SIZE from SLURM_NTASKS), 1 came within '
        '1 s (missing rank 1); start one task per process with srun (tools/slurm_train.sh, '
        'tools/slurm_test.sh), not python alone (SEGKIT_DIST_START_TIMEOUT sets the wait)')


def torchrun_env(monkeypatch, rank: int, world_size: int) -> int:
    port = free_port()
    for name, value in dict(RANK=rank, LOCAL_RANK=rank, WORLD_SIZE=world_size,
                            MASTER_ADDR='127.0.0.1', MASTER_PORT=port).items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.delenv('SEGKIT_DIST_START_TIMEOUT', raising=False)
    monkeypatch.delenv('TORCHELASTIC_USE_AGENT_STORE', raising=False)
    return port


def test_missing_ranks_are_counted_within_the_configured_wait(monkeypatch):
    torchrun_env(monkeypatch, rank=0, world_size=3)
    fails(ConfigError, 'distributed start: 3 processes expected (WORLD_SIZE), 1 came within '
          '0.5 s (missing ranks 1, 2); start them with torchrun --nnodes=NODES '
          '--nproc-per-node=PROCESSES_PER_NODE on every node (tools/dist_train.sh, '
          'tools/dist_test.sh) (SEGKIT_DIST_START_TIMEOUT sets the wait)',
          start_process_group, 'gloo', 'pytorch', {'start_timeout': 0.5})
    assert not dist.is_initialized()


def test_a_rank_without_rank_0_ends_too(monkeypatch):
    port = torchrun_env(monkeypatch, rank=1, world_size=2)
    monkeypatch.setenv('SEGKIT_DIST_START_TIMEOUT', '0.5')
    fails(ConfigError, f'distributed start: rank 1 found no rank 0 at 127.0.0.1:{port} within '
          '0.5 s, 2 processes expected (WORLD_SIZE); start them with torchrun --nnodes=NODES '
          '--nproc-per-node=PROCESSES_PER_NODE on every node (tools/dist_train.sh, '
          'tools/dist_test.sh) (SEGKIT_DIST_START_TIMEOUT sets the wait)',
          start_process_group, 'gloo', 'pytorch', {'start_timeout': 60})


@pytest.mark.parametrize('value', ['soon', '0', '-3'])
def test_start_timeout_must_be_positive_seconds(monkeypatch, value):
    monkeypatch.setenv('SEGKIT_DIST_START_TIMEOUT', value)
    fails(ConfigError, f'SEGKIT_DIST_START_TIMEOUT={value!r}: expected the seconds to wait for '
          'all processes at start, a number > 0', start_timeout, {})
    monkeypatch.delenv('SEGKIT_DIST_START_TIMEOUT')
    fails(ConfigError, "env_cfg.dist_cfg.start_timeout=True: expected the seconds to wait for "
          'all processes at start, a number > 0', start_timeout, {'start_timeout': True})
    assert start_timeout({}) == 300 and start_timeout({'start_timeout': 2}) == 2


# Flags that contradict each other or do more than they say.

def test_resume_with_overwrite_is_refused(demo_root, tmp_path):
    fails(ConfigError, '--resume and --overwrite contradict each other: --resume continues the '
          'training in the work dir, --overwrite starts a new one in its place; give one of '
          'them', run_train, QUICKSTART, work_dir=str(tmp_path / 'work'), resume='auto',
          overwrite=True, cfg_options=options(demo_root))
    assert not (tmp_path / 'work').exists()


def test_overwrite_moves_a_longer_earlier_run_aside(demo_root, tmp_path, monkeypatch):
    work = tmp_path / 'work'
    (work / '20261204_101010').mkdir(parents=True)  # the earlier run's log folder
    (work / '20261204_101010/20261204_101010.log').write_text('earlier log')
    for name in ('iter_2.pth', 'iter_3.pth', 'quickstart.py'):
        (work / name).write_bytes(name.encode())
    (work / 'last_checkpoint').write_text(str(work / 'iter_3.pth'))
    earlier = files(str(work))
    logged = []
    monkeypatch.setattr(train_api, 'print_log', lambda msg, **kw: logged.append(msg))
    run_train(QUICKSTART, work_dir=str(work), overwrite=True,
              cfg_options=options(demo_root, **{'train_cfg.max_iters': 1}))
    aside = [n for n in os.listdir(work) if n.startswith('overwritten_')]
    assert len(aside) == 1
    assert logged[0] == (
        "--overwrite: moved the earlier training's 5 files and folders (iter_2.pth, "
        f'iter_3.pth, last_checkpoint) to {work / aside[0]}; delete it when you no longer need '
        'them')
    assert files(str(work / aside[0])) == earlier  # the earlier run, whole, in one folder
    assert sorted(n for n in os.listdir(work) if n.endswith('.pth')) == ['iter_1.pth']
    assert open(work / 'last_checkpoint').read().endswith('iter_1.pth')


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(osp.basename(name),
                                                  osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_resume_followed_by_the_config_takes_it_as_the_config(monkeypatch, capsys):
    tool = load_tool('train')
    monkeypatch.setattr(sys, 'argv', ['train.py', '--resume', 'configs/quickstart.py',
                                      '--work-dir', 'w'])
    args = tool.parse_args()
    assert (args.config, args.resume, args.work_dir) == ('configs/quickstart.py', 'auto', 'w')
    monkeypatch.setattr(sys, 'argv', ['train.py', 'configs/a.py', '--resume', 'configs/b.py'])
    with pytest.raises(SystemExit):
        tool.parse_args()
    assert capsys.readouterr().err.splitlines()[-1] == (
        'train.py: error: --resume configs/b.py: expected a checkpoint (.pth), or --resume '
        'alone for the latest in the work dir; it names a config')


# State that points outside the folder the user thinks it is in.

def test_copied_work_dir_resumes_from_its_own_checkpoint(demo_root, tmp_path):
    """last_checkpoint holds the original's absolute path: the copy uses its own file."""
    original, copy = tmp_path / 'original', tmp_path / 'copy'
    train(demo_root, original, **{'train_cfg.max_iters': 1})
    shutil.copytree(original, copy)
    (original / 'iter_1.pth').write_bytes(b'')  # the original moves on; the copy must not care
    assert latest_checkpoint(str(copy)) == str(copy / 'iter_1.pth')
    runner = train(demo_root, copy, resume='auto', **{'train_cfg.max_iters': 2})
    assert runner.iter == 2 and runner.cfg.load_from == str(copy / 'iter_1.pth')
    assert (original / 'iter_1.pth').read_bytes() == b''
    assert not (original / 'iter_2.pth').exists()


def test_relative_demo_data_root_says_where_it_generates(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    logged = []
    monkeypatch.setattr(demo_data, 'print_log', lambda msg, **kw: logged.append(msg))
    prepare_demo_data('data/demo', num_train=2, num_val=1, size=32)
    assert logged == [f'generating the demo data (2 train + 1 val images of 32x32) in '
                      f'{tmp_path}/data/demo (data/demo relative to the current folder)']
    prepare_demo_data('data/demo', num_train=2, num_val=1, size=32)  # there: no line
    assert len(logged) == 1


# Errors buried or mis-aimed.

CRASH_WITH_A_LIVE_CHILD = """
import os, sys, time
from segkit.apis.train import _work_dir_lock
with _work_dir_lock(sys.argv[1]):
    child = os.fork()  # as a data-loader worker is
    if child == 0:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1), os.dup2(null, 2)  # let the caller read to the end
        time.sleep(60)
        os._exit(0)
    print(child, flush=True)
    os._exit(1)  # the training crashes; its worker lives on
"""


def test_lock_of_a_crashed_training_is_not_held_by_its_workers(tmp_path):
    proc = run_tool('-c', CRASH_WITH_A_LIVE_CHILD, str(tmp_path))
    child = int(proc.stdout)
    try:
        os.kill(child, 0)  # still alive
        with train_api._work_dir_lock(str(tmp_path)):
            pass
    finally:
        os.kill(child, signal.SIGKILL)


@pytest.mark.parametrize('script, args, env, message', [
    ('dist_train.sh', ['configs/quickstart.py', '0'], {},
     "GPUS is '0': expected the processes per node (bash tools/dist_train.sh CONFIG GPUS "
     '[options]), a whole number >= 1'),
    ('dist_train.sh', ['2', 'configs/quickstart.py'], {},  # arguments swapped
     "GPUS is 'configs/quickstart.py': expected the processes per node (bash "
     'tools/dist_train.sh CONFIG GPUS [options]), a whole number >= 1'),
    ('dist_test.sh', ['configs/quickstart.py', 'model.pth'], {},  # GPUS forgotten
     "GPUS is '': expected the processes per node (bash tools/dist_test.sh CONFIG CHECKPOINT "
     'GPUS [options]), a whole number >= 1'),
    ('dist_train.sh', ['configs/quickstart.py', '2'], {'NNODES': '2', 'NODE_RANK': '2'},
     "NODE_RANK is '2': expected this node's rank, 0 to 1 (NNODES=2)"),
    ('slurm_train.sh', ['part', 'job', 'configs/quickstart.py'], {'GPUS': '2'},
     'GPUS=2 is not a multiple of GPUS_PER_NODE=4 (tasks per node, default 4): set '
     'GPUS_PER_NODE=2 for one node, or GPUS to a multiple of 4'),
    ('slurm_test.sh', ['part', 'job', 'configs/quickstart.py', 'model.pth'],
     {'GPUS': '-8'}, "GPUS is '-8': expected the number of tasks (one per GPU), a whole "
     'number >= 1'),
])
def test_launcher_scripts_refuse_impossible_process_counts(script, args, env, message):
    proc = subprocess.run(['bash', f'tools/{script}', *args], cwd=REPO, capture_output=True,
                          text=True, timeout=30, env={**os.environ, 'PATH': '/usr/bin:/bin',
                                                      **env})
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, '', f'error: {message}\n')


def test_openvino_xml_without_its_bin_names_the_bin(tmp_path):
    xml = tmp_path / 'model.xml'
    xml.write_text('<?xml version="1.0"?><net name="model" version="11"></net>')
    fails(DeployError, f'{tmp_path}/model.bin: no such file; the OpenVINO model {xml} keeps its '
          'weights there: copy the .bin along with the .xml, or export again',
          load_backend, str(xml), 'openvino')


def test_export_out_without_an_extension_gets_one(demo_root, tmp_path, capsys):
    config, checkpoint = tiny_model_files(demo_root, str(tmp_path))
    out = str(tmp_path / 'model')
    export_tool = load_tool('deploy/export')
    export_tool.main([config, checkpoint, '--out', out, '--shape', '64', '64'])
    assert capsys.readouterr().out.startswith(
        f'saved {out}.onnx (--out {out} had no extension) (inputs ')
    assert sorted(os.listdir(tmp_path)) == ['model.onnx', 'model.onnx.json', 'tiny.pth',
                                            'tiny_quickstart.py']
    fails(ConfigError, f'--out {tmp_path}/model.pth: expected a .onnx file (tools tell exported '
          f'models from checkpoints by the extension); e.g. --out {tmp_path}/model.onnx',
          export_tool.main, [config, checkpoint, '--out', f'{tmp_path}/model.pth'])
    assert not (tmp_path / 'model.pth').exists()


CITYSCAPES_FRAME = 'gtFine/train/aachen/aachen_000000_000019_gtFine_'


@pytest.mark.parametrize('suffix, content, reason', [
    ('polygons.json', b'', 'the file is empty (0 bytes: an interrupted download, copy or '
     'extraction?)'),
    ('polygons.json', b'{"imgHeight": 1024, ', 'it is not a readable JSON file, or it is '
     'damaged (Expecting property name enclosed in double quotes: line 1 column 21 (char 20))'),
    ('labelIds.png', b'', 'the file is empty (0 bytes: an interrupted download, copy or '
     'extraction?)'),
    ('labelIds.png', b'\x89PNG\r\n\x1a\n' + b'\0' * 10, "it is not a readable PNG image, or "
     "it is damaged (cannot identify image file '{path}')"),
])
def test_cityscapes_converter_names_the_file_it_cannot_read(tmp_path, suffix, content, reason):
    path = tmp_path / (CITYSCAPES_FRAME + suffix)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    fails(DataError, f'cannot convert {path}: {reason.format(path=path)}', convert_cityscapes,
          str(tmp_path))


def test_voc_aug_converter_names_an_empty_mat_file(tmp_path):
    (tmp_path / 'x.mat').write_bytes(b'')
    fails(DataError, f'cannot read SBD file {tmp_path}/x.mat: the file is empty (0 bytes: an '
          'interrupted download, copy or extraction?)', read_sbd_mat, str(tmp_path / 'x.mat'))


@pytest.mark.parametrize('content, reason', [
    (b'', 'the file is empty (0 bytes; an interrupted download or copy?); download or copy it '
     'again'),
    (b'epoch,loss\n1,0.5\n', "it is a text file, not a checkpoint (it starts with "
     "'epoch,loss')"),
])
def test_trusted_loader_names_what_a_non_pickle_is(tmp_path, content, reason):
    (tmp_path / 'model.pth').write_bytes(content)
    fails(CheckpointError, f'cannot load {tmp_path}/model.pth: {reason}', trust_checkpoint,
          str(tmp_path / 'model.pth'), str(tmp_path / 'out.pth'))
    assert not (tmp_path / 'out.pth').exists()


def test_confusion_matrix_refuses_colour_overlays_as_predictions(demo_root, tmp_path):
    cfg = load_config(QUICKSTART, options(demo_root))
    dataset = build_test_dataset(cfg, annotations_only=True)
    name = osp.splitext(osp.basename(dataset[0]['img_path']))[0] + '.png'
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(tmp_path / name)  # an overlay
    fails(DataError, f'prediction {tmp_path}/{name} is a colour image (shape (64, 64, 3)), not '
          'a class map: give the folder of tools/test.py --out (PNGs of class indices), not '
          'overlays (--show-dir, tools/infer.py)', list, pairs_from_predictions(dataset,
                                                                               str(tmp_path)))
    (tmp_path / name).write_bytes(b'')
    fails(DataError, f'cannot read prediction {tmp_path}/{name}: the file is empty (0 bytes: an '
          'interrupted download, copy or extraction?)', list,
          pairs_from_predictions(dataset, str(tmp_path)))


def dist_train(*args, **env) -> subprocess.CompletedProcess:
    return subprocess.run(['bash', 'tools/dist_train.sh', *args], cwd=REPO, capture_output=True,
                          text=True, timeout=240, env=dict(
                              os.environ, PYTHON=sys.executable, PORT=str(free_port()),
                              OMP_NUM_THREADS='1', **env))


def test_data_error_on_one_rank_is_the_one_error_line(demo_root, tmp_path):
    """Rank 1 reads a broken image first; rank 0, waiting in a collective, adds no traceback,
    nor does torchrun."""
    data = shutil.copytree(demo_root, str(tmp_path / 'data'))
    open(osp.join(data, 'JPEGImages/demo_train_0001.jpg'), 'wb').close()
    proc = dist_train(QUICKSTART, '2', '--work-dir', str(tmp_path / 'work'), '--cfg-options',
                      *cli_options(options(data)))
    assert one_line_error(proc) == (
        f'empty file (0 bytes): {data}/JPEGImages/demo_train_0001.jpg')
    assert 'ChildFailedError' not in proc.stderr


def test_torchrun_waiting_for_missing_nodes_ends_with_one_line():
    proc = dist_train(QUICKSTART, '1', NNODES='2', SEGKIT_DIST_START_TIMEOUT='1')
    assert one_line_error(proc) == (
        'distributed start: 2 nodes expected (--nnodes, NNODES), 1 came within 1 s; start '
        'tools/dist_train.sh (or dist_test.sh) on every node with the same NNODES, MASTER_ADDR '
        'and PORT and NODE_RANK 0..NNODES-1 (SEGKIT_DIST_START_TIMEOUT sets the wait)')


def test_processes_with_different_models_are_one_line(capsys):
    def start_ddp():
        raise RuntimeError('[1]: params[66] in this process with sizes [3, 64, 1, 1] appears '
                           'not to match sizes of the same param in process 0.')
    with pytest.raises(SystemExit) as info:
        run_cli(start_ddp)
    assert info.value.code == 2
    assert capsys.readouterr().err == (
        'error: the processes of this run built different models ([1]: params[66] in this '
        'process with sizes [3, 64, 1, 1] appears not to match sizes of the same param in '
        'process 0.); start every process with the same config, --cfg-options and code\n')
