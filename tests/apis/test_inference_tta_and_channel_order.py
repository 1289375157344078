"""inference_model and SegInferencer: TTA gives tools/test.py --tta's predictions; RGB arrays
and PIL images give the predictions of the file."""
import os.path as osp

import cv2
import numpy as np
import pytest
from PIL import Image

from segkit.apis import SegInferencer, inference_model, init_model, run_test
from segkit.utils.errors import ConfigError
from tests.deploy.deploy_models import tiny_model_files

NAMES = [f'demo_val_{i:04d}' for i in range(2)]


@pytest.fixture(scope='module')
def model_files(demo_root, tmp_path_factory):
    """A random model that predicts several classes, tested on 2 images."""
    return tiny_model_files(demo_root, str(tmp_path_factory.mktemp('model')),
                            {'test_dataloader.dataset.indices': 2})


@pytest.fixture(scope='module')
def tested_with_tta(model_files, tmp_path_factory):
    """The class maps ``tools/test.py --tta --out`` saves, by image name."""
    out = tmp_path_factory.mktemp('tta') / 'out'
    run_test(*model_files, work_dir=str(out.parent / 'work'), tta=True, out=str(out))
    return {name: np.asarray(Image.open(out / f'{name}.png')) for name in NAMES}


def paths(demo_root):
    return [osp.join(demo_root, 'JPEGImages', f'{name}.jpg') for name in NAMES]


def test_inference_tta_equals_tools_test_tta(model_files, tested_with_tta, demo_root):
    model = init_model(*model_files)
    images = paths(demo_root)
    labels = inference_model(model, images, tta=True)
    arrays = inference_model(model, [cv2.imread(p) for p in images], tta=True)
    inferencer = SegInferencer(*model_files, tta=True, batch_size=2)
    for name, path, label, array in zip(NAMES, images, labels, arrays):
        assert (label == tested_with_tta[name]).all(), name
        assert (array == label).all(), name
        assert (inferencer(path)[0] == label).all(), name
    assert len(np.unique(labels)) > 1
    plain = inference_model(model, images)
    assert any((p != t).any() for p, t in zip(plain, labels))  # the views make a difference


def test_tta_needs_the_config_keys(model_files):
    with pytest.raises(ConfigError, match=r'^tta=True: .* has no tta_model \(the dataset base'):
        SegInferencer(*model_files, tta=True, cfg_options={'tta_model': None})


def test_rgb_arrays_and_pil_images_give_the_file_prediction(model_files, demo_root):
    model = init_model(*model_files)
    path = paths(demo_root)[0]
    expected, logits = inference_model(model, path, return_logits=True)
    rgb = cv2.imread(path)[..., ::-1]
    label, same = inference_model(model, rgb, return_logits=True, channel_order='rgb')
    assert (label == expected).all() and np.array_equal(same, logits)
    assert (inference_model(model, Image.open(path)) == expected).all()
    assert (inference_model(model, [Image.fromarray(rgb)], channel_order='bgr')[0]
            == expected).all()  # PIL images are RGB whatever channel_order says
    swapped = inference_model(model, rgb, return_logits=True)[1]  # read as BGR: other colours
    assert not np.array_equal(swapped, logits)
    inferencer = SegInferencer(*model_files)
    assert (inferencer([rgb], channel_order='rgb')[0] == expected).all()
    assert (inferencer(Image.open(path))[0] == expected).all()
    with pytest.raises(ConfigError, match=r"^channel_order 'RGB': expected one of \('bgr', "
                                          r"'rgb'\) \(the order of colour channels"):
        inference_model(model, rgb, channel_order='RGB')
