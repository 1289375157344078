from .conv_module import ConvModule
from .norm import build_norm_layer, is_distributed

__all__ = ['ConvModule', 'build_norm_layer', 'is_distributed']
