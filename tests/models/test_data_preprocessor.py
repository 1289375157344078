import torch

from segkit.models import SegDataPreProcessor
from tests.helpers import make_samples


def test_normalise_rgb_and_pad_in_training():
    pre = SegDataPreProcessor(mean=(1, 2, 3), std=(2, 2, 2), size=(6, 8), bgr_to_rgb=True)
    img = torch.zeros(3, 4, 5, dtype=torch.uint8)
    img[0] = 10  # blue in BGR
    out = pre(dict(inputs=[img], data_samples=make_samples(torch.ones(1, 4, 5))), training=True)
    x = out['inputs']
    assert x.shape == (1, 3, 6, 8)
    assert torch.allclose(x[0, 2, :4, :5], torch.full((4, 5), (10 - 3) / 2))
    assert torch.allclose(x[0, 0, :4, :5], torch.full((4, 5), -0.5))
    assert (x[0, :, 4:, :] == 0).all() and (x[0, :, :, 5:] == 0).all()
    gt = out['data_samples'][0].gt_sem_seg.data
    assert gt.shape == (1, 6, 8) and (gt[0, 4:] == 255).all() and (gt[0, :4, :5] == 1).all()
    assert out['data_samples'][0].padding_size == (0, 3, 0, 2)


def test_no_crop_padding_at_test_time():
    pre = SegDataPreProcessor(size=(64, 64), size_divisor=8)
    out = pre(dict(inputs=[torch.zeros(3, 10, 13, dtype=torch.uint8)],
                   data_samples=make_samples(torch.zeros(1, 10, 13))))
    assert out['inputs'].shape == (1, 3, 16, 16)
    assert out['data_samples'][0].gt_sem_seg.shape == (10, 13)
