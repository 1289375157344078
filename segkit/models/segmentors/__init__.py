from .encoder_decoder import EncoderDecoder
from .gscnn_encoder_decoder import GSCNNEncoderDecoder
from .seg_tta_model import SegTTAModel

__all__ = ['EncoderDecoder', 'SegTTAModel', 'GSCNNEncoderDecoder']
