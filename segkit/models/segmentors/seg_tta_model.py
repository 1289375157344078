"""SegTTAModel: merge the predictions of test-time augmented views (scales, flips)."""
from typing import List, Optional, Union

from mmengine.model import BaseTTAModel
from torch import nn

from segkit.registry import MODELS
from segkit.structures import SegDataSample
from segkit.utils.errors import ConfigError

from .base_segmentor import AVERAGE_MODES


@MODELS.register_module()
class SegTTAModel(BaseTTAModel):
    """Average a segmentor's predictions over augmented views of each image.

    Used with MMCV's ``TestTimeAug`` (the config's ``tta_pipeline``): every view goes
    through the wrapped segmentor's ``test_step``, whose postprocessing already undoes the
    flip and resizes the logits to ``ori_shape``; the segmentor's ``merge_views``
    averages the views' class probabilities (or raw logits) and takes the argmax.
    ``tools/test.py --tta`` sets it up.

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

    def merge_preds(self, data_samples_list: List[List[SegDataSample]]) -> List[SegDataSample]:
        """One sample per image, from the list of its views' predictions."""
        return [self.module.merge_views(views, self.average) for views in data_samples_list]
