"""GSCNNEncoderDecoder: EncoderDecoder that hands the image gradient to the decode head."""
from typing import List

import torch
from mmengine.structures import PixelData

from segkit.registry import MODELS
from segkit.structures import SegDataSample
from segkit.utils.errors import ConfigError

from ..gscnn_data_preprocessor import GSCNNDataPreProcessor
from .encoder_decoder import EncoderDecoder


@MODELS.register_module()
class GSCNNEncoderDecoder(EncoderDecoder):
    """Segmentor for Gated-SCNN: the image gradient travels with the image.

    Its :class:`GSCNNDataPreProcessor` appends the Canny edges of the ``uint8`` image as a
    fourth input channel. ``extract_feat`` gives the first three channels to the backbone
    (and neck) and appends the gradient ``(N, 1, H, W)`` as the LAST feature, so the head
    sees ``(*backbone outputs, gradient)`` in training, whole and sliding-window
    inference alike (so heads should pick backbone outputs with non-negative ``in_index``).

    With ``predict_edge=True`` (whole-image inference) predictions also hold ``pred_edge``:
    the edge probability ``(1, H, W)`` at the original image size, cropped, un-flipped and
    resized like ``seg_logits``.

    Args:
        predict_edge: also predict the decode head's edge map (a head with
            ``predict_with_edge``, such as :class:`GSCNNHead`).
        **kwargs: the arguments of :class:`EncoderDecoder`; ``data_preprocessor`` must be
            a ``GSCNNDataPreProcessor``.
    """

    def __init__(self, predict_edge: bool = False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(self.data_preprocessor, GSCNNDataPreProcessor):
            raise ConfigError(f'model.data_preprocessor: GSCNNEncoderDecoder needs '
                              f"type='GSCNNDataPreProcessor' (it computes the image gradient), "
                              f'got {type(self.data_preprocessor).__name__}')
        if predict_edge and not hasattr(self.decode_head, 'predict_with_edge'):
            raise ConfigError(f'model.predict_edge=True: {type(self.decode_head).__name__} '
                              'predicts no edge map')
        if predict_edge and self.test_cfg['mode'] != 'whole':
            raise ConfigError("model.predict_edge=True needs model.test_cfg.mode='whole'")
        self.predict_edge = predict_edge

    def extract_feat(self, inputs: torch.Tensor):
        """Backbone (and neck) features of the image channels, then the gradient channel."""
        return (*super().extract_feat(inputs[:, :-1]), inputs[:, -1:])

    def encode_decode(self, inputs: torch.Tensor) -> torch.Tensor:
        """Logits at the input's size; with ``predict_edge`` the edge probability is appended
        as one more channel."""
        if not self.predict_edge:
            return super().encode_decode(inputs)
        seg_logits, edge = self.decode_head.predict_with_edge(self.extract_feat(inputs),
                                                              size=inputs.shape[2:])
        return torch.cat([seg_logits, edge], dim=1)

    def postprocess_result(self, seg_logits: torch.Tensor,
                           data_samples: List[SegDataSample]) -> List[SegDataSample]:
        """As :meth:`EncoderDecoder.postprocess_result`; the edge channel becomes ``pred_edge``."""
        if not self.predict_edge:
            return super().postprocess_result(seg_logits, data_samples)
        samples = super().postprocess_result(seg_logits[:, :-1], data_samples)
        # The same crop, un-flip and resize as the logits.
        edges = super().postprocess_result(
            seg_logits[:, -1:], [SegDataSample(metainfo=s.metainfo) for s in samples])
        for sample, edge in zip(samples, edges):
            sample.pred_edge = PixelData(data=edge.seg_logits.data)
        return samples
