from .encoder_decoder import EncoderDecoder
from .gscnn_encoder_decoder import GSCNNEncoderDecoder

__all__ = ['EncoderDecoder', 'GSCNNEncoderDecoder']
