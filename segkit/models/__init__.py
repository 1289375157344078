from .backbones import *  # noqa: F401,F403
from .data_preprocessor import SegDataPreProcessor
from .decode_heads import *  # noqa: F401,F403
from .gscnn_data_preprocessor import GSCNNDataPreProcessor
from .losses import *  # noqa: F401,F403
from .samplers import *  # noqa: F401,F403
from .segmentors import *  # noqa: F401,F403

__all__ = ['SegDataPreProcessor', 'GSCNNDataPreProcessor']
