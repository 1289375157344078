"""SegDataPreProcessor: normalise, convert BGR->RGB, pad and batch images and labels."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor
from mmengine.structures import PixelData

from segkit.registry import MODELS
from segkit.utils.errors import ConfigError, DataError

# Per-pixel ground truth that pads with the labels' ``seg_pad_val``.
LABEL_MAPS = ('gt_sem_seg', 'gt_edge_map')


@MODELS.register_module()
class SegDataPreProcessor(BaseDataPreprocessor):
    """Turn a list of packed samples into a normalised, padded batch.

    Images (``(C, H, W)``: 3-channel BGR uint8 from OpenCV, or any depth and channel count
    read with ``color_type='unchanged'``) are moved to the model's device, converted to RGB
    when ``bgr_to_rgb`` (3-channel images only, as MMSegmentation does), normalised with
    ``mean``/``std`` and padded at the bottom and right to the largest image of the batch,
    at least ``size`` (the crop size) in training, rounded up to ``size_divisor``. Images
    pad with ``pad_val`` and, in training, the samples' label maps (``gt_sem_seg``,
    ``gt_edge_map``) with ``seg_pad_val``; each sample's metainfo records ``pad_shape`` and
    ``padding_size`` (left, right, top, bottom), so predictions can be cropped back. The
    result's ``inputs`` is the image tensor; subclasses that make more named inputs for the
    model (``input_names``) return a dict of them.

    Args:
        mean: per-channel mean, in the output channel order: one value per image channel.
        std: per-channel std, as many as ``mean``.
        size: in training, pad every image to at least this ``(h, w)``, or None.
        size_divisor: pad to a multiple of this, or None.
        pad_val: image padding value (applied after normalisation, like MMSegmentation).
        seg_pad_val: label padding value.
        bgr_to_rgb: flip the channel order first.
        non_blocking: copy to the device without blocking.
    """

    input_names = ('img',)

    def __init__(self, mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 size: Optional[Tuple[int, int]] = None, size_divisor: Optional[int] = None,
                 pad_val: float = 0, seg_pad_val: int = 255, bgr_to_rgb: bool = True,
                 non_blocking: bool = False):
        super().__init__(non_blocking=non_blocking)
        if len(mean) != len(std):
            raise ConfigError(f'SegDataPreProcessor has {len(mean)} mean and {len(std)} std '
                              'values; give one of each per image channel')
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1),
                             persistent=False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(-1, 1, 1),
                             persistent=False)
        self.size = tuple(size) if size is not None else None
        self.size_divisor = size_divisor
        self.pad_val = pad_val
        self.seg_pad_val = seg_pad_val
        self.bgr_to_rgb = bgr_to_rgb

    def _target_size(self, shapes: List[Tuple[int, int]], training: bool) -> Tuple[int, int]:
        h = max(s[0] for s in shapes)
        w = max(s[1] for s in shapes)
        if training and self.size is not None:
            h, w = max(h, self.size[0]), max(w, self.size[1])
        if self.size_divisor is not None:
            d = self.size_divisor
            h, w = (h + d - 1) // d * d, (w + d - 1) // d * d
        return h, w

    def forward(self, data: dict, training: bool = False) -> dict:
        """Return ``dict(inputs=(N, 3, H, W) float tensor, data_samples=list)``."""
        data = self.cast_data(data)
        inputs, samples = data['inputs'], data.get('data_samples')
        for i, img in enumerate(inputs):
            if img.shape[0] != len(self.mean):
                name = samples[i].metainfo.get('img_path') if samples is not None else None
                raise DataError(f'image {name or i} has {img.shape[0]} channel(s) but the '
                                f'data preprocessor has {len(self.mean)} mean/std values; set '
                                'model.data_preprocessor mean and std per channel (and '
                                'the backbone in_channels)')
        if self.bgr_to_rgb:
            inputs = [img[[2, 1, 0], ...] if img.shape[0] == 3 else img for img in inputs]
        inputs = [(img.float() - self.mean) / self.std for img in inputs]
        target = self._target_size([img.shape[1:] for img in inputs], training)
        padded = []
        for i, img in enumerate(inputs):
            pad_h, pad_w = target[0] - img.shape[1], target[1] - img.shape[2]
            padded.append(F.pad(img, (0, pad_w, 0, pad_h), value=self.pad_val))
            if samples is not None:
                sample = samples[i]
                for key in LABEL_MAPS if training else ():
                    if key in sample:
                        setattr(sample, key, PixelData(data=F.pad(
                            sample.get(key).data, (0, pad_w, 0, pad_h), value=self.seg_pad_val)))
                sample.set_metainfo(dict(pad_shape=target, padding_size=(0, pad_w, 0, pad_h)))
        return dict(inputs=torch.stack(padded), data_samples=samples)
