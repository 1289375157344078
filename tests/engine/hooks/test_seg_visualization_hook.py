import os
import types

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmengine.visualization import Visualizer
from PIL import Image

from segkit.engine.hooks import SegVisualizationHook
from segkit.structures import SegDataSample
from segkit.utils.errors import ConfigError

PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0]]


def sample(tmp_path, name, rng):
    path = str(tmp_path / f'{name}.jpg')
    cv2.imwrite(path, rng.integers(0, 255, (6, 8, 3), dtype=np.uint8))
    result = SegDataSample(metainfo=dict(img_path=path))
    result.gt_sem_seg = PixelData(data=torch.ones(1, 6, 8, dtype=torch.long))
    result.pred_sem_seg = PixelData(data=torch.full((1, 6, 8), 2))
    return result


def fake_runner(tmp_path, iteration):
    visualizer = Visualizer.get_instance(f'vis_{tmp_path.name}_{iteration}', save_dir=str(tmp_path),
                                         vis_backends=[dict(type='LocalVisBackend')])
    dataset = types.SimpleNamespace(metainfo=dict(palette=PALETTE))
    return types.SimpleNamespace(visualizer=visualizer, iter=iteration,
                                 val_dataloader=types.SimpleNamespace(dataset=dataset))


def test_draws_the_first_samples_at_every_validation(tmp_path, rng):
    batches = [[sample(tmp_path, f'img{b}{i}', rng) for i in range(2)] for b in range(2)]
    hook = SegVisualizationHook(num_samples=3)
    for iteration in (10, 20):
        runner = fake_runner(tmp_path, iteration)
        hook.before_val_epoch(runner)
        for index, batch in enumerate(batches):
            hook.after_val_iter(runner, index, outputs=batch)
    files = sorted(os.listdir(tmp_path / 'vis_data' / 'vis_image'))
    assert files == [f'val_img{n}_{it}.png' for n in ('00', '01', '10') for it in (10, 20)]
    panel = np.asarray(Image.open(tmp_path / 'vis_data' / 'vis_image' / 'val_img00_10.png'))
    assert panel.shape == (6, 24, 3)
    assert (panel[:, :8] == cv2.imread(batches[0][0].img_path)[..., ::-1]).all()
    assert (panel[:, 8:16] == PALETTE[1]).all() and (panel[:, 16:] == PALETTE[2]).all()


def test_num_samples_is_checked():
    with pytest.raises(ConfigError, match='num_samples 0'):
        SegVisualizationHook(num_samples=0)
