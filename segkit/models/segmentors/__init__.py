from .encoder_decoder import EncoderDecoder
from .seg_tta_model import SegTTAModel

__all__ = ['EncoderDecoder', 'SegTTAModel']
