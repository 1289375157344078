"""Own data end to end: the README's config on a folder of PNG photos with 0/255 masks (the
two-class softmax and the one-channel sigmoid routes) and 4-channel uint16 TIFFs, through
train, test, infer, export and the analysis tools."""
import os
import os.path as osp
import re

import numpy as np
import pytest
import tifffile
import torch
from PIL import Image

from segkit.apis import inference_model, init_model
from segkit.utils.errors import ConfigError

from tests.dataset_trees import make_binary_folder, make_multispectral_folder
from tests.helpers import REPO
from tests.tiny_training import cli_options
from tests.tools.tool_loader import load_tool

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def per_class_iou(log: str, name: str):
    """The IoU of class ``name`` in the last per-class table of ``log`` (None when absent)."""
    found = re.findall(rf'^{name} +([\d.]+|nan) +', log, flags=re.M)
    return float(found[-1]) if found else None


def readme_blocks() -> list:
    """The python blocks of the README's 'Train on your own data' section."""
    text = open(osp.join(REPO, 'README.md'), encoding='utf-8').read()
    section = text.split('## Train on your own data\n', 1)[1].split('\n## ', 1)[0]
    return re.findall(r'```python\n(.*?)```', section, flags=re.S)


def write_config(folder, text: str) -> str:
    """``text`` as ``folder/configs/my_data.py`` beside the shipped ``_base_`` configs, as a
    user saves it in configs/."""
    configs = folder / 'configs'
    configs.mkdir()
    os.symlink(osp.join(REPO, 'configs', '_base_'), configs / '_base_')
    path = configs / 'my_data.py'
    path.write_text(text)
    return str(path)


def tiny(data_root: str, name: str, **extra) -> list:
    """cfg-options: the data at ``data_root``, no workers, a quarter-width ResNetV1c-18 without
    pretrained weights, 32x40 images, 2 iterations of batch 2."""
    options = {'experiment_name': name, 'visualizer.name': name, 'model.pretrained': None,
               'model.backbone.depth': 18, 'model.backbone.stem_channels': 16,
               'model.backbone.base_channels': 16, 'model.decode_head.in_channels': 128,
               'model.decode_head.channels': 16, 'model.auxiliary_head.in_channels': 64,
               'model.auxiliary_head.channels': 8,
               'train_dataloader.dataset.pipeline.2.scale': (40, 32),
               'train_dataloader.dataset.pipeline.3.crop_size': (32, 32),
               'train_dataloader.batch_size': 2, 'train_cfg.max_iters': 2,
               'train_cfg.val_interval': 2, 'default_hooks.logger.interval': 1,
               'default_hooks.checkpoint.interval': 2}
    for loader in LOADERS:
        options.update({f'{loader}.dataset.data_root': data_root, f'{loader}.num_workers': 0,
                        f'{loader}.persistent_workers': False})
    for loader in LOADERS[1:]:
        options[f'{loader}.dataset.pipeline.1.scale'] = (40, 32)
    options.update(extra)
    return cli_options(options)


def run_all_tools(config: str, data_root: str, tmp_path, name: str, images: list,
                  export: bool = True, int8: bool = False) -> str:
    """Train, test, infer, export (and quantize to int8, testing each exported model)
    ``config``; returns the checkpoint."""
    work = str(tmp_path / 'work')
    options = tiny(data_root, name)
    load_tool('train.py').main([config, '--work-dir', work, '--cfg-options', *options])
    checkpoint = osp.join(work, 'iter_2.pth')
    assert osp.isfile(checkpoint)
    load_tool('test.py').main([config, checkpoint, '--work-dir', str(tmp_path / 'test'),
                               '--out', str(tmp_path / 'pred'),
                               '--cfg-options', *tiny(data_root, name + '_test')])
    out = str(tmp_path / 'infer')
    load_tool('infer.py').main([config, checkpoint, *images, '--out-dir', out,
                                '--cfg-options', *tiny(data_root, name + '_infer')])
    for image in images:
        stem = osp.splitext(osp.basename(image))[0]
        mask = np.asarray(Image.open(osp.join(out, 'masks', stem + '.png')))
        assert mask.shape == (32, 40) and set(np.unique(mask)) <= {0, 1}
        overlay = np.asarray(Image.open(osp.join(out, 'overlays', stem + '.png')))
        assert overlay.shape == (32, 40, 3)
    if not export:
        return checkpoint
    onnx_file = str(tmp_path / 'model.onnx')
    load_tool('deploy/export.py').main([config, checkpoint, '--out', onnx_file, '--shape',
                                        '32', '40', '--cfg-options',
                                        *tiny(data_root, name + '_export')])
    deployed = [onnx_file]
    if int8:
        deployed.append(str(tmp_path / 'int8.onnx'))
        load_tool('deploy/quantize.py').main([config, onnx_file, '--out', deployed[1],
                                              '--calib', '2', '--cfg-options',
                                              *tiny(data_root, name + '_int8')])
    for i, model_file in enumerate(deployed):
        load_tool('test.py').main([config, model_file, '--work-dir', str(tmp_path / f'ort{i}'),
                                   '--cfg-options', *tiny(data_root, f'{name}_ort{i}')])
    return checkpoint


@pytest.fixture
def binary_root(tmp_path):
    return make_binary_folder(str(tmp_path / 'cracks'))


def test_readme_config_softmax_route(binary_root, tmp_path, capsys):
    config = write_config(tmp_path, readme_blocks()[0])
    images = [osp.join(binary_root, 'img_dir', 'val', 'val_0.png')]
    run_all_tools(config, binary_root, tmp_path, 'own_softmax', images)
    log = capsys.readouterr().out
    assert per_class_iou(log, 'background') is not None and per_class_iou(log, 'crack') is not None
    preds = sorted(os.listdir(tmp_path / 'pred'))
    assert 'val_0.png' in preds and 'val_1.png' in preds

    load_tool('analysis/class_weights.py').main([config, '--cfg-options',
                                                 *tiny(binary_root, 'own_weights')])
    weights = capsys.readouterr().out.strip().splitlines()[-1]
    assert weights.startswith('class_weight=[') and len(eval(weights[13:])) == 2
    browse = tmp_path / 'browse'
    load_tool('analysis/browse_dataset.py').main([config, '--out-dir', str(browse), '--num', '2',
                                                  '--cfg-options',
                                                  *tiny(binary_root, 'own_browse')])
    assert len(os.listdir(browse)) == 2


def test_readme_config_sigmoid_route(binary_root, tmp_path, capsys):
    softmax, sigmoid = readme_blocks()[:2]
    assert sigmoid.startswith('model = dict(decode_head=dict(num_classes=2, out_channels=1')
    text = re.sub(r'^model = .*\n', sigmoid, softmax, flags=re.M)
    config = write_config(tmp_path, text)
    images = [osp.join(binary_root, 'img_dir', 'val', 'val_1.png')]
    checkpoint = run_all_tools(config, binary_root, tmp_path, 'own_sigmoid', images, int8=True)
    assert torch.load(checkpoint)['state_dict']['decode_head.conv_seg.weight'].shape[0] == 1
    log = capsys.readouterr().out
    assert 'decode.loss_ce' in log and 'int8, calibrated on 2 validation images' in log
    assert per_class_iou(log, 'background') is not None and per_class_iou(log, 'crack') is not None


def test_readme_config_classes_disagree_with_head(binary_root, tmp_path):
    config = write_config(tmp_path, readme_blocks()[0])
    with pytest.raises(ConfigError) as e:
        load_tool('train.py').main([config, '--work-dir', str(tmp_path / 'work'),
                                    '--cfg-options',
                                    *tiny(binary_root, 'own_classes',
                                          **{'model.decode_head.num_classes': 3})])
    assert str(e.value) == (
        'model.decode_head.num_classes is 3 but train_dataloader.dataset (BaseSegDataset) has '
        "2 classes (background, crack); set num_classes=2, or the dataset's metainfo classes")


def test_multispectral_uint16_tiffs(tmp_path, capsys):
    root = make_multispectral_folder(str(tmp_path / 'bands'))
    text = readme_blocks()[0].split('data_root =')[0] + "data_root = 'data/bands'\n" \
        "metainfo = dict(classes=('background', 'field'))\n" + readme_blocks()[2] \
        + 'test_dataloader = val_dataloader\n'
    config = write_config(tmp_path, text)
    images = [osp.join(root, 'img_dir', 'val', 'val_0.tif')]
    checkpoint = run_all_tools(config, root, tmp_path, 'own_bands', images, export=False)
    assert torch.load(checkpoint)['state_dict']['backbone.stem.0.weight'].shape[1] == 4
    log = capsys.readouterr().out
    assert per_class_iou(log, 'field') is not None
    # The same image as an array (as tifffile reads it) predicts what the file does.
    model = init_model(config, checkpoint, cfg_options={
        'model.pretrained': None, 'model.backbone.depth': 18, 'model.backbone.stem_channels': 16,
        'model.backbone.base_channels': 16, 'model.decode_head.in_channels': 128,
        'model.decode_head.channels': 16, 'model.auxiliary_head.in_channels': 64,
        'model.auxiliary_head.channels': 8})
    array = tifffile.imread(images[0])
    assert array.dtype == np.uint16 and array.shape[2] == 4
    assert np.array_equal(inference_model(model, array), inference_model(model, images[0]))
