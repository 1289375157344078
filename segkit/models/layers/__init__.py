from .boundary_refine import BoundaryRefine
from .conv_module import ConvModule
from .global_conv_block import GlobalConvBlock
from .norm import build_norm_layer, is_distributed

__all__ = ['ConvModule', 'build_norm_layer', 'is_distributed', 'GlobalConvBlock', 'BoundaryRefine']
