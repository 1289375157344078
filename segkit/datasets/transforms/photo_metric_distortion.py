"""PhotoMetricDistortion: random brightness, contrast, saturation and hue."""
from typing import Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from segkit.registry import TRANSFORMS
from segkit.utils.errors import ConfigError


@TRANSFORMS.register_module()
class PhotoMetricDistortion(BaseTransform):
    """Apply, each with probability 0.5 and in this order: brightness, contrast (before or
    after the next two, at random), saturation, hue; as MMSegmentation does.

    Reads and writes ``img`` (BGR uint8); any other image (16-bit, N channels) is refused,
    naming it, rather than clipped to 8 bits or colour-converted wrongly.

    Args:
        brightness_delta: largest brightness shift.
        contrast_range: contrast factor range.
        saturation_range: saturation factor range.
        hue_delta: largest hue shift (OpenCV hue units, 0..180).
    """

    def __init__(self, brightness_delta: int = 32, contrast_range: Sequence[float] = (0.5, 1.5),
                 saturation_range: Sequence[float] = (0.5, 1.5), hue_delta: int = 18):
        self.brightness_delta = brightness_delta
        self.contrast_lower, self.contrast_upper = contrast_range
        self.saturation_lower, self.saturation_upper = saturation_range
        self.hue_delta = hue_delta

    @staticmethod
    def _blend(img: np.ndarray, alpha: float = 1.0, beta: float = 0.0) -> np.ndarray:
        return np.clip(img.astype(np.float32) * alpha + beta, 0, 255).astype(np.uint8)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            channels = 1 if img.ndim == 2 else img.shape[2]
            raise ConfigError(f"PhotoMetricDistortion needs 3-channel 8-bit BGR images, but "
                              f"{results.get('img_path')} is {img.dtype} with {channels} "
                              'channel(s): remove it from the train pipeline')
        if np.random.randint(2):
            img = self._blend(img, beta=np.random.uniform(-self.brightness_delta,
                                                          self.brightness_delta))
        contrast_first = np.random.randint(2)
        if contrast_first and np.random.randint(2):
            img = self._blend(img, alpha=np.random.uniform(self.contrast_lower,
                                                           self.contrast_upper))
        do_saturation, do_hue = np.random.randint(2), np.random.randint(2)
        if do_saturation or do_hue:
            hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
            if do_saturation:
                hsv[..., 1] = self._blend(hsv[..., 1], alpha=np.random.uniform(
                    self.saturation_lower, self.saturation_upper))
            if do_hue:
                shift = np.random.randint(-self.hue_delta, self.hue_delta)
                hsv[..., 0] = ((hsv[..., 0].astype(np.int16) + shift) % 180).astype(np.uint8)
            img = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
        if not contrast_first and np.random.randint(2):
            img = self._blend(img, alpha=np.random.uniform(self.contrast_lower,
                                                           self.contrast_upper))
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(brightness_delta={self.brightness_delta}, '
                f'hue_delta={self.hue_delta})')
