"""Experiment trackers (mmengine's visualization backends), each logged to offline and read
back with its own reader, and the one-line error when a tracker's package is missing."""
import glob
import importlib.util
import json
import os.path as osp
import struct

import pytest

from segkit.apis import run_train
from segkit.apis import runner_cfg
from segkit.apis.runner_cfg import prepare_cfg
from segkit.utils.errors import ConfigError
from tests.demo_model import demo_config
from tests.tiny_training import QUICKSTART, tiny_options

TENSORBOARD = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]


def test_tensorboard_backend_needs_the_package(demo_root, tmp_path):
    config = demo_config(demo_root, str(tmp_path / 'cfg.py'),
                         {'visualizer.vis_backends': TENSORBOARD})
    if importlib.util.find_spec('tensorboard') is None:
        with pytest.raises(ConfigError, match='pip install tensorboard'):
            prepare_cfg(config, work_dir=str(tmp_path))
    else:
        assert prepare_cfg(config, work_dir=str(tmp_path)).visualizer.vis_backends == TENSORBOARD
    assert prepare_cfg(demo_config(demo_root, str(tmp_path / 'local.py')),
                       work_dir=str(tmp_path)).visualizer.vis_backends[0].type == 'LocalVisBackend'


@pytest.mark.parametrize('backend,module', [('WandbVisBackend', 'wandb'),
                                            ('MLflowVisBackend', 'mlflow'),
                                            ('TensorboardVisBackend', 'tensorboard')])
def test_missing_tracker_package_names_the_extra(demo_root, tmp_path, monkeypatch, backend,
                                                 module):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(runner_cfg.importlib.util, 'find_spec',
                        lambda name, *a: None if name == module else find_spec(name, *a))
    config = demo_config(demo_root, str(tmp_path / 'cfg.py'), {
        'visualizer.vis_backends': [dict(type='LocalVisBackend'), dict(type=backend)]})
    with pytest.raises(ConfigError) as error:
        prepare_cfg(config, work_dir=str(tmp_path))
    assert str(error.value) == (f'visualizer.vis_backends has {backend} but the {module} '
                                f"package is not installed: pip install -e '.[{module}]' "
                                f"(segkit's {module} extra, or pip install {module}), or "
                                'remove it')


def wandb_history(run_file: str) -> list:
    """The history rows of a W&B run file (``run-ID.wandb``: a 7-byte header, then records
    in LevelDB log blocks of 32 KiB, each chunk with a 7-byte header)."""
    from wandb.proto import wandb_internal_pb2

    data = open(run_file, 'rb').read()
    assert data[:4] == b':W&B'
    block, pos, chunks, rows = 32768, 7, [], []
    while pos + 7 <= len(data):
        left = block - pos % block
        _, length, kind = struct.unpack('<IHB', data[pos:pos + 7])
        if left < 7 or (kind == 0 and length == 0):  # block padding
            pos += left
            continue
        chunks.append(data[pos + 7:pos + 7 + length])
        pos += 7 + length
        if kind in (1, 4):  # a full record, or the last chunk of one
            record = wandb_internal_pb2.Record()
            record.ParseFromString(b''.join(chunks))
            chunks = []
            if record.WhichOneof('record_type') == 'history':
                rows.append({item.key or '/'.join(item.nested_key): json.loads(item.value_json)
                             for item in record.history.item})
    return rows


def test_tensorboard_wandb_and_mlflow_log_offline(demo_root, tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    monkeypatch.setenv('WANDB_MODE', 'offline')
    # segkit opts in to MLflow's file store itself; the variable is restored after the test
    monkeypatch.setenv('MLFLOW_ALLOW_FILE_STORE', 'unset below')
    monkeypatch.delenv('MLFLOW_ALLOW_FILE_STORE')
    work_dir = str(tmp_path / 'work')
    # MLflow's file store takes every folder in the run's vis_data for an experiment: W&B's
    # own folder (by default vis_data/wandb) goes elsewhere when both log in one run.
    trackers = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend'),
                dict(type='WandbVisBackend',
                     init_kwargs=dict(project='segkit-test', dir=str(tmp_path))),
                dict(type='MLflowVisBackend', exp_name='segkit-test')]
    run_train(QUICKSTART, work_dir=work_dir, cfg_options=tiny_options(
        demo_root, 'trackers', **{'visualizer.vis_backends': trackers}))
    [run_dir] = glob.glob(osp.join(work_dir, '2*'))
    [record] = [json.loads(line) for line in open(osp.join(run_dir, 'metrics.jsonl'))]
    miou = record['metrics']['mIoU']
    vis_data = osp.join(run_dir, 'vis_data')

    events = EventAccumulator(vis_data)
    events.Reload()
    assert {'loss', 'lr', 'mIoU'} <= set(events.Tags()['scalars'])
    assert [(e.step, round(e.value, 2)) for e in events.Scalars('mIoU')] == [(2, miou)]

    [run_file] = glob.glob(str(tmp_path / 'wandb' / 'offline-run-*' / 'run-*.wandb'))
    rows = wandb_history(run_file)
    assert [row['iter'] for row in rows if 'loss' in row] == [1, 2]
    assert [row['mIoU'] for row in rows if 'mIoU' in row] == [miou]

    client = MlflowClient(tracking_uri=f'file://{vis_data}')
    experiment = client.get_experiment_by_name('segkit-test')
    [run] = client.search_runs([experiment.experiment_id])
    assert [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, 'mIoU')] \
        == [(2, miou)]
    assert len(client.get_metric_history(run.info.run_id, 'loss')) == 2
