"""ONNX export of every head type: the ONNX Runtime logits match PyTorch's."""
import json

import numpy as np
import onnx
import pytest
import torch

from segkit.apis import init_model
from segkit.deploy import export_onnx, load_backend
from segkit.deploy.export_wrapper import ExportWrapper
from tests.helpers import REPO


def parity(model, model_file, shape, seed=7):
    """Max relative difference of ONNX Runtime and PyTorch logits on new random inputs."""
    wrapper = ExportWrapper(model).eval()
    inputs = wrapper.example_inputs(2, *shape, seed=seed)
    with torch.no_grad():
        expected = wrapper(*inputs).numpy()
    actual = load_backend(model_file)({n: t.numpy() for n, t in zip(wrapper.input_names, inputs)})
    assert actual.shape == expected.shape == (2, model.num_classes, *shape)
    return np.abs(actual - expected).max() / np.abs(expected).max()


@pytest.mark.parametrize('config, dynamic, inputs', [
    ('quickstart.py', False, ['img']),           # ASPP (DeepLabV3)
    ('gcn_r18_demo.py', False, ['img']),         # GCN
    ('nonlocal_r18_demo.py', False, ['img']),    # non-local
    ('gscnn_r18_demo.py', True, ['img', 'edge']),  # Gated-SCNN, with its Canny input
    ('deeplabv3plus_mobilenetv3_demo.py', True, ['img']),  # DeepLabV3+ on timm MobileNetV3
    ('deeplabv3plus_convnext-t_cityscapes.py', False, ['img']),  # on timm ConvNeXt (LayerNorm)
])
def test_export_matches_pytorch(config, dynamic, inputs, tmp_path, one_thread):
    model = init_model(f'{REPO}/configs/{config}', cfg_options={'model.pretrained': None})
    out = str(tmp_path / 'model.onnx')
    meta = export_onnx(model, out, shape=(32, 32), dynamic=dynamic, config_name=config)
    onnx.checker.check_model(out)
    graph = onnx.load(out).graph
    assert [i.name for i in graph.input] == inputs and [o.name for o in graph.output] == ['seg']
    assert meta['max_relative_difference'] < 1e-4
    assert parity(model, out, (32, 32)) < 1e-4
    if dynamic:
        assert parity(model, out, (48, 40)) < 1e-4
    with open(out + '.json') as f:
        written = json.load(f)
    assert written['input_names'] == inputs
    assert written['input_shape'] == (None if dynamic else [32, 32])
    assert written['num_classes'] == model.num_classes
    assert written['classes'] == list(model.dataset_meta['classes'])
    assert written['mean'] == [123.675, 116.28, 103.53] and written['bgr_to_rgb'] is True
    assert written['test_cfg']['mode'] == model.test_cfg['mode']
