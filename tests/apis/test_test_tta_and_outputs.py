"""run_test (tools/test.py): --tta, --show-dir and --out on the demo data."""
import os.path as osp

import cv2
import numpy as np
import pytest
from PIL import Image

from segkit.apis import inference_model, init_model, run_test
from segkit.utils.errors import ConfigError
from tests.demo_model import demo_model_files

ONE_VIEW_TTA = [
    dict(type='LoadImageFromFile'),
    dict(type='TestTimeAug', transforms=[
        [dict(type='Resize', scale_factor=1.0, keep_ratio=True)],
        [dict(type='RandomFlip', prob=0.)],
        [dict(type='LoadAnnotations')],
        [dict(type='PackSegInputs')]]),
]


@pytest.fixture(scope='module')
def model_files(demo_root, tmp_path_factory):
    return demo_model_files(demo_root, str(tmp_path_factory.mktemp('model')),
                            {'test_dataloader.dataset.indices': 2})


def test_show_dir_and_out_save_predictions(model_files, demo_root, tmp_path):
    show, out = str(tmp_path / 'show'), str(tmp_path / 'out')
    run_test(*model_files, work_dir=str(tmp_path / 'work'), show_dir=show, out=out)
    model = init_model(*model_files)
    palette = model.dataset_meta['palette']
    for i in range(2):
        name = f'demo_val_{i:04d}'
        img_path = osp.join(demo_root, 'JPEGImages', name + '.jpg')
        png = Image.open(osp.join(out, name + '.png'))
        assert png.mode == 'P'
        assert (np.asarray(png) == inference_model(model, img_path)).all()
        panel = np.asarray(Image.open(osp.join(show, name + '.png')))
        assert panel.shape == (64, 3 * 64, 3)
        assert (panel[:, :64] == cv2.imread(img_path)[..., ::-1]).all()
        gt = np.asarray(Image.open(osp.join(demo_root, 'SegmentationClass', name + '.png')))
        assert (panel[:, 64:128][gt == 255] == 255).all()
        assert (panel[:, 64:128][gt == 1] == palette[1]).all()
        colours = {tuple(c) for c in panel[:, 128:].reshape(-1, 3)}
        assert colours <= {tuple(c) for c in palette}
    assert len(list((tmp_path / 'out').glob('*.png'))) == 2


def test_tta_with_one_view_equals_plain_test(model_files, tmp_path):
    plain = run_test(*model_files, work_dir=str(tmp_path / 'plain'))
    tta = run_test(*model_files, work_dir=str(tmp_path / 'tta'), tta=True,
                   cfg_options={'tta_pipeline': ONE_VIEW_TTA})
    assert tta == plain


def test_shipped_tta_runs_12_views(model_files, tmp_path, monkeypatch):
    from segkit.models.segmentors import SegTTAModel
    views = []
    merge = SegTTAModel.merge_preds
    monkeypatch.setattr(SegTTAModel, 'merge_preds',
                        lambda self, lists: views.extend(len(v) for v in lists) or
                        merge(self, lists))
    metrics = run_test(*model_files, work_dir=str(tmp_path / 'tta'), tta=True,
                       out=str(tmp_path / 'out'))
    assert views == [12, 12]
    assert 0 <= metrics['mIoU'] <= 100
    assert len(list((tmp_path / 'out').glob('*.png'))) == 2


def test_tta_needs_a_tta_pipeline(model_files, tmp_path):
    with pytest.raises(ConfigError, match='--tta: .* has no tta_pipeline'):
        run_test(*model_files, work_dir=str(tmp_path), tta=True,
                 cfg_options={'tta_pipeline': None})
