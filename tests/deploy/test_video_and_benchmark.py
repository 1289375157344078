"""tools/infer.py on videos with an exported model; the runtime benchmark."""
import cv2
import numpy as np
import pytest

from segkit.apis import SegInferencer
from segkit.apis.inference import dataset_metainfo
from segkit.benchmark.deploy import backends_table, benchmark_backends
from segkit.config import load_config
from segkit.registry import MODELS
from segkit.utils.cli import run_cli
from tests.deploy.deploy_models import tiny_model_files
from tests.helpers import record_progress
from tests.tools.tool_loader import load_tool

export_tool = load_tool('deploy/export.py')
infer = load_tool('infer.py')


@pytest.fixture(scope='module')
def files(demo_root, tmp_path_factory):
    folder = tmp_path_factory.mktemp('video')
    config, checkpoint = tiny_model_files(demo_root, str(folder))
    model_file = str(folder / 'model.onnx')
    export_tool.main([config, checkpoint, '--out', model_file, '--dynamic'])
    video = str(folder / 'clip.avi')
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'MJPG'), 5, (64, 64))
    frames = [cv2.imread(f'{demo_root}/JPEGImages/demo_val_{i:04d}.jpg') for i in range(5)]
    for frame in frames:
        writer.write(frame)
    writer.release()
    return config, model_file, video


def read_frames(path):
    capture = cv2.VideoCapture(path)
    frames = []
    ok, frame = capture.read()
    while ok:
        frames.append(frame)
        ok, frame = capture.read()
    return frames


def test_video_overlay_with_an_exported_model(files, tmp_path, capsys, monkeypatch,
                                              one_thread):
    config, model_file, video = files
    progress = record_progress(monkeypatch, infer)
    infer.main([config, model_file, video, '--out-dir', str(tmp_path), '--max-frames', '4',
                '--batch-size', '3', '--opacity', '1'])
    out = capsys.readouterr().out
    assert f'{video}: 4 frames in ' in out and 'frames/s) -> ' in out
    assert progress == ['1/4', '2/4', '3/4', '4/4']
    written = read_frames(str(tmp_path / 'videos' / 'clip.avi'))
    assert len(written) == 4 and written[0].shape == (64, 64, 3)
    inferencer = SegInferencer(config, model_file)
    palette = np.array(inferencer.palette)
    for source, result in zip(read_frames(video), written):
        colours = palette[inferencer(source)[0]][..., ::-1]  # opacity 1: the class colours
        assert np.abs(result.astype(int) - colours).mean() < 8  # MJPG is lossy


@pytest.mark.parametrize('source, message', [
    ('9', 'cannot open camera 9: no such camera'),
    ('missing.mp4', 'input not found: missing.mp4')])
def test_bad_video_source(files, tmp_path, capsys, source, message):
    config, model_file, _ = files
    with pytest.raises(SystemExit):
        run_cli(lambda: infer.main([config, model_file, source, '--out-dir', str(tmp_path)]))
    assert capsys.readouterr().err.splitlines()[-1] == f'error: {message}'


def test_benchmark_backends(files, one_thread):
    cfg = load_config(files[0])
    model = MODELS.build(cfg.model)
    model.cfg, model.dataset_meta = cfg, dataset_metainfo(cfg)
    results = benchmark_backends(model, (64, 64), backends=('torch', 'onnxruntime',
                                                            'onnxruntime-int8'), rounds=1, calib=1)
    assert list(results) == ['torch', 'onnxruntime', 'onnxruntime-int8']
    assert results['torch']['ratio'] == 1 and results['onnxruntime']['agreement'] == 1
    assert all(r['latency_s'] > 0 and 0 <= r['agreement'] <= 1 for r in results.values())
    assert 'onnxruntime-int8' in backends_table(results)
