from .base_segmentor import BaseSegmentor
from .encoder_decoder import EncoderDecoder
from .seg_tta_model import SegTTAModel

__all__ = ['BaseSegmentor', 'EncoderDecoder', 'SegTTAModel']
