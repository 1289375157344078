from .aspp_module import ASPPModule
from .bilinear_deconv2d import BilinearDeconv2d
from .boundary_refine import BoundaryRefine
from .conv_module import ConvModule
from .depthwise_separable_conv_module import DepthwiseSeparableConvModule
from .gated_spatial_conv import GatedSpatialConv
from .global_conv_block import GlobalConvBlock
from .non_local import NonLocal2d
from .norm import build_norm_layer, eval_batch_norms, freeze, is_distributed
from .resnet_blocks import BasicBlock, Bottleneck

__all__ = ['ConvModule', 'NonLocal2d', 'build_norm_layer', 'eval_batch_norms', 'freeze',
           'is_distributed', 'GlobalConvBlock', 'BoundaryRefine', 'GatedSpatialConv', 'BasicBlock',
           'Bottleneck', 'BilinearDeconv2d', 'ASPPModule', 'DepthwiseSeparableConvModule']
