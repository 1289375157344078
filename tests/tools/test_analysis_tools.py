"""The scripts under tools/analysis/ on the demo data with a random quickstart model."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from segkit.apis import inference_model, init_model
from segkit.config import load_config
from segkit.registry import MODELS
from segkit.utils.errors import ConfigError, DataError
from segkit.visualization import save_label_png
from tests.demo_model import demo_model_files
from tests.tools.tool_loader import load_tool


@pytest.fixture(scope='module')
def model_files(demo_root, tmp_path_factory):
    return demo_model_files(demo_root, str(tmp_path_factory.mktemp('model')))


def test_analyze_logs_plots_every_run(tmp_path):
    for name, losses in (('a', [2.0, 1.0]), ('b', [3.0, 2.5])):
        folder = tmp_path / name / '20250101_000000' / 'vis_data'
        folder.mkdir(parents=True)
        records = [dict(loss=v, lr=0.01, step=i + 1) for i, v in enumerate(losses)]
        records.append(dict(mIoU=10.0, step=2))
        (folder / 'scalars.json').write_text(''.join(json.dumps(r) + '\n' for r in records))
    out = tmp_path / 'curves.png'
    load_tool('analysis/analyze_logs.py').main([str(tmp_path / 'a'), str(tmp_path / 'b'),
                                                '--out', str(out)])
    width, height = Image.open(out).size
    assert width > 2 * height  # three panels side by side
    with pytest.raises(ConfigError, match='--legend has 1 names for 2 runs'):
        load_tool('analysis/analyze_logs.py').main(
            [str(tmp_path / 'a'), str(tmp_path / 'b'), '--legend', 'x'])


def test_get_flops_prints_params_and_flops(model_files, capsys):
    load_tool('analysis/get_flops.py').main([model_files[0], '--shape', '64', '64'])
    printed = capsys.readouterr().out
    model = MODELS.build(load_config(model_files[0]).model)
    params = sum(p.numel() for p in model.parameters())
    assert f'Params: {params / 1e6:.3f}M ({params})' in printed
    flops = int(printed.split('Flops: ')[1].split('(')[1].split()[0])
    assert 5e7 < flops < 2e8, printed  # 0.31 GFLOPs at 128x128, a quarter at 64x64


def test_confusion_matrix_from_predictions_and_from_checkpoint(model_files, demo_root, tmp_path,
                                                                capsys):
    tool = load_tool('analysis/confusion_matrix.py')
    palette = init_model(*model_files).dataset_meta['palette']
    pred_dir = tmp_path / 'preds'
    pred_dir.mkdir()
    for i in range(8):  # perfect predictions, except class 1 predicted as 2 in image 0
        name = f'demo_val_{i:04d}.png'
        gt = np.array(Image.open(osp.join(demo_root, 'SegmentationClass', name)))
        gt[gt == 255] = 0
        if i == 0:
            gt[gt == 1] = 2
        save_label_png(gt, palette, str(pred_dir / name))
    tool.main([model_files[0], str(pred_dir), '--out', str(tmp_path / 'cm.png')])
    assert Image.open(tmp_path / 'cm.png').size[0] > 100
    diagonal_share = capsys.readouterr().out.split('(')[-1].split('%')[0]
    assert 95 < float(diagonal_share) < 100

    tool.main([*model_files, '--out', str(tmp_path / 'cm_ckpt.png')])
    assert osp.isfile(tmp_path / 'cm_ckpt.png')
    model = init_model(*model_files)
    expected = np.zeros((5, 5), np.int64)
    for i in range(8):
        name = f'demo_val_{i:04d}'
        gt = np.array(Image.open(osp.join(demo_root, 'SegmentationClass', name + '.png')))
        pred = inference_model(model, osp.join(demo_root, 'JPEGImages', name + '.jpg'))
        valid = gt != 255
        np.add.at(expected, (gt[valid], pred[valid]), 1)
    share = f'{np.trace(expected) / expected.sum():.2%}'
    assert f'({share} of the labelled pixels on the diagonal)' in capsys.readouterr().out


def test_confusion_matrix_names_a_missing_prediction(model_files, tmp_path):
    with pytest.raises(DataError, match='no prediction .*demo_val_0000.png'):
        load_tool('analysis/confusion_matrix.py').main([model_files[0], str(tmp_path)])


def test_browse_dataset_saves_augmented_samples(model_files, tmp_path):
    out = tmp_path / 'browse'
    load_tool('analysis/browse_dataset.py').main([model_files[0], '--out-dir', str(out),
                                                  '--num', '3'])
    files = sorted(os.listdir(out))
    assert files == [f'{i:04d}_demo_train_{i:04d}.png' for i in range(3)]
    for name in files:
        width, height = Image.open(out / name).size  # image | overlay, rescaled then cropped
        assert width == 2 * height and 96 <= height <= 128


def test_print_config_applies_overrides(model_files, capsys):
    tool = load_tool('analysis/print_config.py')
    tool.main([model_files[0], '--cfg-options', 'model.test_cfg.mode=slide'])
    assert "test_cfg=dict(mode='slide')" in capsys.readouterr().out
    with pytest.raises(ConfigError, match='drop_out_ratio'):
        tool.main([model_files[0], '--cfg-options', 'model.decode_head.drop_out_ratio=0.2'])
