import numpy as np
import pytest

from segkit.datasets.transforms import PackSegInputs, PhotoMetricDistortion, RandomCrop


def test_random_crop_size_and_alignment():
    ys, xs = np.mgrid[:20, :30]
    img = np.stack([ys, xs, np.zeros_like(ys)], axis=-1).astype(np.uint8)  # pixel = its (y, x)
    seg = ((ys * 30 + xs) % 7).astype(np.uint8)
    for seed in range(5):
        np.random.seed(seed)
        out = RandomCrop(crop_size=(8, 10))(dict(img=img.copy(), gt_seg_map=seg.copy(),
                                                seg_fields=['gt_seg_map']))
        assert out['img'].shape == (8, 10, 3) and out['gt_seg_map'].shape == (8, 10)
        y0, x0 = out['img'][0, 0, :2]
        assert np.array_equal(out['gt_seg_map'], seg[y0:y0 + 8, x0:x0 + 10])


def test_random_crop_keeps_small_images_whole():
    out = RandomCrop(crop_size=(64, 64))(dict(img=np.zeros((10, 12, 3), np.uint8),
                                             gt_seg_map=np.zeros((10, 12), np.uint8),
                                             seg_fields=['gt_seg_map']))
    assert out['img'].shape == (10, 12, 3) and out['img_shape'] == (10, 12)


def test_cat_max_ratio_avoids_single_class_crops():
    seg = np.zeros((40, 40), np.uint8)
    seg[:, 30:] = 1  # class 1 only in the right quarter

    def dominated_crops(cat_max_ratio):
        np.random.seed(0)
        crop = RandomCrop(crop_size=(10, 15), cat_max_ratio=cat_max_ratio)
        count = 0
        for _ in range(200):
            out = crop(dict(img=np.zeros((40, 40, 3), np.uint8), gt_seg_map=seg.copy(),
                            seg_fields=['gt_seg_map']))
            counts = np.bincount(out['gt_seg_map'].ravel(), minlength=2)
            count += counts.max() / counts.sum() >= 0.75
        return count

    plain, limited = dominated_crops(1.0), dominated_crops(0.75)
    assert plain > 100 and limited < plain / 4


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_photometric_distortion_keeps_shape_and_type(seed):
    np.random.seed(seed)
    img = np.random.randint(0, 255, (16, 16, 3), dtype=np.uint8)
    out = PhotoMetricDistortion()(dict(img=img.copy()))['img']
    assert out.shape == img.shape and out.dtype == np.uint8


def test_pack_seg_inputs():
    img = np.zeros((4, 5, 3), np.uint8)
    img[..., 2] = 7
    packed = PackSegInputs()(dict(img=img, gt_seg_map=np.full((4, 5), 3, np.uint8),
                                  img_path='a.jpg', ori_shape=(4, 5), img_shape=(4, 5)))
    assert packed['inputs'].shape == (3, 4, 5) and int(packed['inputs'][2, 0, 0]) == 7
    sample = packed['data_samples']
    assert sample.gt_sem_seg.data.shape == (1, 4, 5) and sample.img_path == 'a.jpg'
