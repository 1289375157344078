import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch

from segkit.apis import SegInferencer, inference_model, init_model
from segkit.utils.errors import CheckpointError, ConfigError, DataError
from tests.demo_model import demo_model_files


@pytest.fixture(scope='module')
def model_files(demo_root, tmp_path_factory):
    return demo_model_files(demo_root, str(tmp_path_factory.mktemp('model')))


@pytest.fixture(scope='module')
def model(model_files):
    return init_model(*model_files)


@pytest.fixture(scope='module')
def images(demo_root):
    return [osp.join(demo_root, 'JPEGImages', f'demo_val_{i:04d}.jpg') for i in range(3)]


def test_init_model_loads_weights_and_metainfo(model, model_files):
    state = torch.load(model_files[1], weights_only=True)['state_dict']
    assert torch.equal(model.state_dict()['decode_head.conv_seg.weight'],
                       state['decode_head.conv_seg.weight'])
    assert not model.training
    assert model.dataset_meta['classes'][1] == 'horizontal'
    assert model.dataset_meta['palette'][1] == [128, 0, 0]


def test_path_and_array_give_the_same_prediction(model, images):
    label = inference_model(model, images[0])
    assert label.shape == (64, 64) and label.dtype == np.int64
    same, logits = inference_model(model, cv2.imread(images[0]), return_logits=True)
    assert (same == label).all()
    assert logits.shape == (5, 64, 64) and logits.dtype == np.float32
    assert (logits.argmax(0) == label).all()


def test_batch_gives_one_prediction_per_image(model, images):
    singles = [inference_model(model, path) for path in images]
    batch = inference_model(model, [images[0], cv2.imread(images[1]), images[2]])
    assert len(batch) == 3
    assert all((a == b).all() for a, b in zip(batch, singles))
    small = cv2.resize(cv2.imread(images[0]), (40, 48))
    mixed = inference_model(model, [small, images[1]], return_logits=True)
    assert mixed[0][0].shape == (48, 40) and mixed[0][1].shape == (5, 48, 40)
    assert inference_model(model, []) == []


def test_slide_with_a_covering_window_equals_whole(model_files, images):
    whole = inference_model(init_model(*model_files), images[0], return_logits=True)[1]
    slide = init_model(*model_files, cfg_options={
        'model.test_cfg': dict(mode='slide', crop_size=(64, 64), stride=(32, 32),
                               logits_device='cpu')})
    assert np.allclose(inference_model(slide, images[0], return_logits=True)[1], whole,
                       atol=1e-5)


def test_user_mistakes_are_clear(model, model_files, tmp_path):
    with pytest.raises(DataError, match='image not found: .*missing.jpg'):
        inference_model(model, str(tmp_path / 'missing.jpg'))
    with pytest.raises(DataError, match='got int'):
        inference_model(model, [3])
    with pytest.raises(DataError, match=r'\(H, W, 3\) BGR uint8, got float64'):
        inference_model(model, np.zeros((8, 8, 3)))
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="device 'cuda:0': CUDA is not available"):
            init_model(model_files[0], device='cuda:0')
    with pytest.raises(CheckpointError, match='does not fit'):
        init_model(model_files[0], model_files[1],
                   cfg_options={'model.decode_head.num_classes': 4})


def test_inferencer_expands_folders_in_batches(model_files, images, tmp_path, monkeypatch):
    folder = tmp_path / 'imgs'
    folder.mkdir()
    for path in images:
        shutil.copy(path, folder)
    (folder / 'notes.txt').write_text('not an image')
    inferencer = SegInferencer(*model_files, batch_size=2)
    assert inferencer.expand_inputs(str(folder)) == sorted(
        str(folder / osp.basename(p)) for p in images)
    batches = []
    monkeypatch.setattr('segkit.apis.seg_inferencer.inference_model',
                        lambda model, batch, return_logits: batches.append(len(batch)) or
                        inference_model(model, batch, return_logits))
    results = inferencer([str(folder), cv2.imread(images[0])])
    assert batches == [2, 2]
    assert len(results) == 4 and (results[0] == results[3]).all()
    assert inferencer.palette[0] == [0, 0, 0] and len(inferencer.classes) == 5
    (tmp_path / 'empty').mkdir()
    with pytest.raises(DataError, match='no images'):
        inferencer.expand_inputs(str(tmp_path / 'empty'))
    with pytest.raises(ConfigError, match='batch_size 0'):
        SegInferencer(*model_files, batch_size=0)
