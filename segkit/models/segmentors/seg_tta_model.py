"""SegTTAModel: merge the predictions of test-time augmented views (scales, flips)."""
from typing import List, Optional, Union

import torch
from mmengine.model import BaseTTAModel
from mmengine.structures import PixelData
from torch import nn

from segkit.registry import MODELS
from segkit.structures import SegDataSample
from segkit.utils.errors import ConfigError

from ..utils import seg_labels, seg_probabilities

AVERAGE_MODES = ('softmax', 'logits')
# Metainfo that describes the original image, the same for every view.
KEPT_META_KEYS = ('img_path', 'seg_map_path', 'ori_shape', 'reduce_zero_label')


@MODELS.register_module()
class SegTTAModel(BaseTTAModel):
    """Average a segmentor's predictions over augmented views of each image.

    Used with MMCV's ``TestTimeAug`` (the config's ``tta_pipeline``): every view goes
    through the wrapped segmentor's ``test_step``, whose postprocessing already undoes the
    flip and resizes the logits to ``ori_shape``; this class averages the views' class
    probabilities (or raw logits) and takes the argmax. ``tools/test.py --tta`` sets it up.

    Args:
        module: the segmentor, or its config.
        data_preprocessor: overrides the segmentor's data preprocessor when given.
        average: 'softmax' averages probabilities, 'logits' the raw logits.
    """

    def __init__(self, module: Union[dict, nn.Module], data_preprocessor: Optional[dict] = None,
                 average: str = 'softmax'):
        if average not in AVERAGE_MODES:
            raise ConfigError(f'SegTTAModel average {average!r}: expected one of {AVERAGE_MODES}')
        super().__init__(module=module, data_preprocessor=data_preprocessor)
        self.average = average

    def _labels(self, mean: torch.Tensor) -> torch.Tensor:
        """Class indices of averaged scores; one channel (binary, sigmoid) is thresholded
        at the segmentor's ``test_cfg.threshold``."""
        threshold = self.module.test_cfg.get('threshold', 0.5)
        if mean.shape[0] == 1 and self.average == 'softmax':
            return (mean[0] > threshold).long()
        return seg_labels(mean, dim=0, threshold=threshold)

    def merge_preds(self, data_samples_list: List[List[SegDataSample]]) -> List[SegDataSample]:
        """One sample per image, from the list of its views' predictions."""
        merged = []
        for views in data_samples_list:
            total = None
            for view in views:
                logits = view.seg_logits.data
                scores = seg_probabilities(logits, dim=0) if self.average == 'softmax' \
                    else logits
                total = scores.clone() if total is None else total.add_(scores)
            mean = total / len(views)
            first = views[0]
            sample = SegDataSample(metainfo={k: first.metainfo[k] for k in KEPT_META_KEYS
                                             if k in first.metainfo})
            sample.seg_logits = PixelData(data=mean)
            sample.pred_sem_seg = PixelData(data=self._labels(mean)[None])
            if 'gt_sem_seg' in first:
                sample.gt_sem_seg = first.gt_sem_seg
            merged.append(sample)
        return merged
