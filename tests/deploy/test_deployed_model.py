"""Exported and int8 models tested like checkpoints: tools/test.py, init_model, bad inputs."""
import shutil
import sys

import numpy as np
import onnx
import pytest

from segkit.apis import inference_model, init_model, run_test
from segkit.deploy.backends import install_hint
from segkit.utils.cli import run_cli
from tests.deploy.deploy_models import tiny_model_files
from tests.helpers import REPO
from tests.tools.tool_loader import load_tool

export_tool = load_tool('deploy/export.py')
quantize_tool = load_tool('deploy/quantize.py')
test_tool = load_tool('test.py')
SLIDE = {'model.test_cfg': dict(mode='slide', crop_size=(48, 48), stride=(32, 32))}


@pytest.fixture(scope='module')
def files(demo_root, tmp_path_factory):
    """``(config, checkpoint, fp32 .onnx, dynamic .onnx, folder)`` of a tiny model."""
    folder = tmp_path_factory.mktemp('deploy')
    config, checkpoint = tiny_model_files(demo_root, str(folder))
    fixed, dynamic = str(folder / 'fixed.onnx'), str(folder / 'dynamic.onnx')
    export_tool.main([config, checkpoint, '--out', fixed, '--shape', '64', '64'])
    export_tool.main([config, checkpoint, '--out', dynamic, '--dynamic'])
    return config, checkpoint, fixed, dynamic, folder


def error_of(capsys, main, argv) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        run_cli(lambda: main(argv))
    assert info.value.code == 2
    # the error line; before it may come log lines of a runtime or, in-process, mmengine's
    # complaints about a logger stream of an earlier test that pytest has closed
    return capsys.readouterr().err.splitlines(keepends=True)[-1]


def test_tools_test_gives_the_pytorch_miou(files, tmp_path, demo_root, one_thread):
    config, checkpoint, fixed, dynamic, _ = files
    model = init_model(config, checkpoint)
    predicted = {int(c) for i in range(2) for c in np.unique(inference_model(
        model, f'{demo_root}/JPEGImages/demo_val_{i:04d}.jpg'))}
    assert len(predicted) >= 3, predicted  # several classes: the comparison means something
    expected = run_test(config, checkpoint, work_dir=str(tmp_path))
    for model_file, backend in [(fixed, 'onnxruntime'), (dynamic, 'onnxruntime'),
                                (fixed, 'openvino')]:
        result = run_test(config, model_file, work_dir=str(tmp_path), backend=backend)
        assert result == pytest.approx(expected, abs=0.01), (model_file, backend)


def test_slide_windows_go_through_a_fixed_size_model(files, tmp_path, one_thread):
    config, checkpoint, _, _, folder = files
    window = str(folder / 'window.onnx')
    export_tool.main([config, checkpoint, '--out', window, '--shape', '48', '48'])
    expected = run_test(config, checkpoint, work_dir=str(tmp_path), cfg_options=SLIDE)
    result = run_test(config, window, work_dir=str(tmp_path), cfg_options=SLIDE)
    assert result == pytest.approx(expected, abs=0.01)
    whole = run_test(config, checkpoint, work_dir=str(tmp_path))
    assert whole != expected  # slide mode did change the predictions


def test_int8_model_runs_on_both_runtimes(files, tmp_path, demo_root, one_thread, capsys):
    config, checkpoint, fixed, _, _ = files
    int8 = str(tmp_path / 'int8.onnx')
    quantize_tool.main([config, fixed, '--out', int8, '--calib', '2'])
    assert 'calibrated on 2 validation images' in capsys.readouterr().out
    ops = {node.op_type for node in onnx.load(int8).graph.node}
    assert {'QuantizeLinear', 'DequantizeLinear'} <= ops
    image = f'{demo_root}/JPEGImages/demo_val_0000.jpg'
    reference = inference_model(init_model(config, checkpoint), image)
    for backend in ('onnxruntime', 'openvino'):
        label = inference_model(init_model(config, int8, backend=backend), image)
        assert label.shape == (64, 64)
        assert np.mean(label == reference) > 0.8, backend
    nncf = str(tmp_path / 'nncf.xml')
    quantize_tool.main([config, fixed, '--out', nncf, '--calib', '2', '--tool', 'nncf'])
    label = inference_model(init_model(config, nncf, backend='openvino'), image)
    assert np.mean(label == reference) > 0.8
    assert error_of(capsys, test_tool.main, [config, nncf, '--work-dir', str(tmp_path)]) == \
        f'error: {nncf} is OpenVINO IR: run it with --backend openvino\n'


def test_model_of_another_config(files, tmp_path, capsys):
    _, _, fixed, _, _ = files
    other = f'{REPO}/configs/gcn_r18_demo.py'
    assert error_of(capsys, test_tool.main, [other, fixed, '--work-dir', str(tmp_path)]) == (
        f'error: {fixed} was exported from {files[0]}, whose model differs from the one of '
        f'{other}; test it with that config or export {other} with tools/deploy/export.py\n')


@pytest.mark.parametrize('backend, reason', [
    ('onnxruntime', '[ONNXRuntimeError] : 7 : INVALID_PROTOBUF : Load model from {} failed:'
                    'Protobuf parsing failed.'),
    ('openvino', "Error parsing message with type 'onnx.ModelProto'")])
def test_corrupt_file(files, tmp_path, capsys, backend, reason):
    config, _, fixed, _, _ = files
    corrupt = str(tmp_path / 'corrupt.onnx')
    with open(corrupt, 'wb') as f:
        f.write(b'not a model')
    shutil.copy(fixed + '.json', corrupt + '.json')
    err = error_of(capsys, test_tool.main, [config, corrupt, '--work-dir', str(tmp_path),
                                            '--backend', backend])
    assert err.startswith(f'error: {corrupt}: ') and len(err.splitlines()) == 1
    assert reason.format(corrupt) in err
    assert err.endswith('; export it again with tools/deploy/export.py\n')


def test_missing_metadata(files, tmp_path, capsys):
    config, _, fixed, _, _ = files
    copy = str(tmp_path / 'copy.onnx')
    shutil.copy(fixed, copy)
    assert error_of(capsys, test_tool.main, [config, copy, '--work-dir', str(tmp_path)]) == (
        f'error: {copy}.json is missing: tools/deploy/export.py writes it beside copy.onnx '
        '(mean/std, classes, input names); export the model again\n')


@pytest.mark.parametrize('backend', ['onnxruntime', 'openvino'])
def test_missing_backend_package(files, tmp_path, capsys, monkeypatch, backend):
    config, _, fixed, _, _ = files
    monkeypatch.setitem(sys.modules, backend, None)  # import fails as when not installed
    assert error_of(capsys, test_tool.main, [config, fixed, '--work-dir', str(tmp_path),
                                             '--backend', backend]) == (
        f'error: the {backend} backend needs the {backend} package, which is not installed: '
        f'{install_hint(backend)}\n')


def test_input_larger_than_a_fixed_model(files, tmp_path, capsys):
    config, _, _, _, folder = files
    small = str(folder / 'small.onnx')
    export_tool.main([config, files[1], '--out', small, '--shape', '32', '32'])
    assert error_of(capsys, test_tool.main, [config, small, '--work-dir', str(tmp_path)]) == (
        f'error: {small} takes inputs of 32x32, this one is 64x64: export with --dynamic or a '
        'larger --shape, or use slide inference with a crop_size that fits\n')


def test_speed_flags_are_refused(files, tmp_path, capsys):
    config, _, fixed, _, _ = files
    assert error_of(capsys, test_tool.main, [config, fixed, '--work-dir', str(tmp_path),
                                             '--bf16', '--fast', '--tta']) == (
        f'error: --tta --precision --fast: not for an exported model ({fixed}); its runtime sets its own '
        'precision and layout\n')
