"""tools/infer.py on the demo data with a random quickstart model."""
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
from PIL import Image

from segkit.apis import inference_model, init_model
from segkit.utils.cli import run_cli
from tests.demo_model import demo_model_files
from tests.helpers import record_progress
from tests.tools.tool_loader import load_tool

infer = load_tool('infer.py')


@pytest.fixture(scope='module')
def model_files(demo_root, tmp_path_factory):
    return demo_model_files(demo_root, str(tmp_path_factory.mktemp('model')))


def test_writes_palette_masks_and_overlays(model_files, demo_root, tmp_path, monkeypatch):
    folder = tmp_path / 'in'
    folder.mkdir()
    images = [osp.join(demo_root, 'JPEGImages', f'demo_val_{i:04d}.jpg') for i in range(3)]
    for path in images[:2]:
        shutil.copy(path, folder)
    progress = record_progress(monkeypatch, infer)
    out = tmp_path / 'out'
    infer.main([*model_files, str(folder), images[2], '--out-dir', str(out), '--opacity', '0.3',
                '--batch-size', '2'])
    names = [f'demo_val_{i:04d}.png' for i in range(3)]
    assert sorted(os.listdir(out / 'masks')) == sorted(os.listdir(out / 'overlays')) == names
    assert progress == ['1/3', '2/3', '3/3']
    model = init_model(*model_files)
    palette = np.array(model.dataset_meta['palette'])
    for name, image in zip(names, images):
        label = inference_model(model, image)
        mask = Image.open(out / 'masks' / name)
        assert mask.mode == 'P' and mask.size == (64, 64)
        assert (np.asarray(mask) == label).all()
        assert (np.asarray(mask.convert('RGB')) == palette[label]).all()
        blend = np.asarray(Image.open(out / 'overlays' / name)).astype(float)
        expected = 0.7 * cv2.imread(image)[..., ::-1] + 0.3 * palette[label]
        assert blend.shape == (64, 64, 3) and np.abs(blend - expected).max() < 0.51


def test_bad_opacity_is_one_line_error(model_files, demo_root, tmp_path, capsys):
    image = osp.join(demo_root, 'JPEGImages', 'demo_val_0000.jpg')
    with pytest.raises(SystemExit) as info:
        run_cli(lambda: infer.main([*model_files, image, '--out-dir', str(tmp_path),
                                    '--opacity', '2']))
    assert info.value.code == 2
    assert capsys.readouterr().err == 'error: --opacity 2.0: expected a value in [0, 1]\n'


def test_tta_masks_are_tools_test_tta_predictions(demo_root, tmp_path):
    from segkit.apis import run_test
    from tests.deploy.deploy_models import tiny_model_files
    files = tiny_model_files(demo_root, str(tmp_path), {'test_dataloader.dataset.indices': 2})
    run_test(*files, work_dir=str(tmp_path / 'work'), tta=True, out=str(tmp_path / 'tested'))
    images = [osp.join(demo_root, 'JPEGImages', f'demo_val_{i:04d}.jpg') for i in range(2)]
    infer.main([*files, *images, '--out-dir', str(tmp_path / 'out'), '--tta'])
    plain = inference_model(init_model(*files), images)
    for i, label in enumerate(plain):
        name = f'demo_val_{i:04d}.png'
        mask = np.asarray(Image.open(tmp_path / 'out' / 'masks' / name))
        assert (mask == np.asarray(Image.open(tmp_path / 'tested' / name))).all()
        assert (mask != label).any()
