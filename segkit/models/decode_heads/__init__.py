from .aspp_head import ASPPHead
from .decode_head import BaseDecodeHead
from .depthwise_separable_aspp_head import DepthwiseSeparableASPPHead
from .fcn_head import FCNHead
from .gcn_head import GCNHead
from .gscnn_head import GSCNNHead
from .nl_head import NLHead

__all__ = ['BaseDecodeHead', 'FCNHead', 'ASPPHead', 'NLHead', 'GCNHead', 'GSCNNHead',
           'DepthwiseSeparableASPPHead']
