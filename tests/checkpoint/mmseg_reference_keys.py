"""The state-dict keys and shapes MMSegmentation 1.x gives its models, written from its source.

Independent of segkit's modules: mmseg ResNetV1c (deep stem ``stem.0..7``, ``layerN.i``
with ``conv1/bn1..``, ``downsample.0/1``), MMCV ConvModule (``conv``; ``bn`` for BN and
SyncBN; conv bias only without a norm), ASPPHead (``image_pool.1``, ``aspp_modules.i``,
``bottleneck``), DepthwiseSeparableASPPHead (DeepLabV3+: ``aspp_modules.i`` with MMCV
DepthwiseSeparableConvModule's ``depthwise_conv``/``pointwise_conv`` for rates > 1,
``c1_bottleneck``, ``sep_bottleneck.0/1``), FCNHead (``convs.i``, ``conv_cat``), NLHead
(``convs.0``, ``nl_block`` with MMCV NonLocal2d's ``g/theta/phi/conv_out``, ``convs.1``,
``conv_cat``) and BaseDecodeHead's ``conv_seg``. The data preprocessor's mean/std are not
persistent.
"""
from typing import Dict, Tuple

Shapes = Dict[str, Tuple[int, ...]]
RESNET_BLOCKS = {18: (2, 2, 2, 2), 50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}


def bn(prefix: str, channels: int) -> Shapes:
    shapes = {f'{prefix}.{k}': (channels,)
              for k in ('weight', 'bias', 'running_mean', 'running_var')}
    shapes[f'{prefix}.num_batches_tracked'] = ()
    return shapes


def conv(prefix: str, cin: int, cout: int, k: int, bias: bool) -> Shapes:
    shapes = {f'{prefix}.weight': (cout, cin, k, k)}
    if bias:
        shapes[f'{prefix}.bias'] = (cout,)
    return shapes


def conv_module(prefix: str, cin: int, cout: int, k: int, norm: bool = True) -> Shapes:
    """MMCV ConvModule: ``conv`` (bias='auto': a bias only without norm) and ``bn``."""
    shapes = conv(f'{prefix}.conv', cin, cout, k, bias=not norm)
    return {**shapes, **bn(f'{prefix}.bn', cout)} if norm else shapes


def resnet_v1c(depth: int, prefix: str = 'backbone') -> Shapes:
    return resnet_v1c_widths(depth, stem=64, base=64, prefix=prefix)


def resnet_v1c_widths(depth: int, stem: int, base: int, prefix: str = 'backbone') -> Shapes:
    """ResNetV1c-``depth`` (D8) with ``stem_channels=stem`` and ``base_channels=base``."""
    shapes = {}
    half = stem // 2
    for name, cin, cout in (('0', 3, half), ('3', half, half), ('6', half, stem)):
        shapes.update(conv(f'{prefix}.stem.{name}', cin, cout, 3, bias=False))
        shapes.update(bn(f'{prefix}.stem.{int(name) + 1}', cout))
    bottleneck = depth >= 50
    expansion = 4 if bottleneck else 1
    inplanes = stem
    for stage, num_blocks in enumerate(RESNET_BLOCKS[depth]):
        planes = base * 2**stage
        stride = 1 if stage in (0, 2, 3) else 2  # D8: strides (1, 2, 1, 1)
        for i in range(num_blocks):
            p = f'{prefix}.layer{stage + 1}.{i}'
            if bottleneck:
                convs = ((inplanes, planes, 1), (planes, planes, 3), (planes, planes * 4, 1))
            else:
                convs = ((inplanes, planes, 3), (planes, planes, 3))
            for j, (cin, cout, k) in enumerate(convs, start=1):
                shapes.update(conv(f'{p}.conv{j}', cin, cout, k, bias=False))
                shapes.update(bn(f'{p}.bn{j}', cout))
            if i == 0 and (stride != 1 or inplanes != planes * expansion):
                shapes.update(conv(f'{p}.downsample.0', inplanes, planes * expansion, 1,
                                   bias=False))
                shapes.update(bn(f'{p}.downsample.1', planes * expansion))
            inplanes = planes * expansion
    return shapes


def conv_seg(prefix: str, channels: int, num_classes: int) -> Shapes:
    return conv(f'{prefix}.conv_seg', channels, num_classes, 1, bias=True)


def aspp_head(cin: int, channels: int, num_classes: int, num_rates: int = 4,
              prefix: str = 'decode_head') -> Shapes:
    shapes = conv_module(f'{prefix}.image_pool.1', cin, channels, 1)
    for i in range(num_rates):
        shapes.update(conv_module(f'{prefix}.aspp_modules.{i}', cin, channels, 1 if i == 0 else 3))
    shapes.update(conv_module(f'{prefix}.bottleneck', (num_rates + 1) * channels, channels, 3))
    return {**shapes, **conv_seg(prefix, channels, num_classes)}


def separable_conv_module(prefix: str, cin: int, cout: int, k: int) -> Shapes:
    """MMCV DepthwiseSeparableConvModule: depthwise ConvModule (groups=cin) and a 1x1 one."""
    shapes = {f'{prefix}.depthwise_conv.conv.weight': (cin, 1, k, k),
              **bn(f'{prefix}.depthwise_conv.bn', cin)}
    return {**shapes, **conv_module(f'{prefix}.pointwise_conv', cin, cout, 1)}


def sep_aspp_head(cin: int, channels: int, num_classes: int, c1_in: int = 256,
                  c1_channels: int = 48, num_rates: int = 4,
                  prefix: str = 'decode_head') -> Shapes:
    """DepthwiseSeparableASPPHead: ASPPHead's keys with separable rate branches, plus the
    decoder."""
    shapes = conv_module(f'{prefix}.image_pool.1', cin, channels, 1)
    shapes.update(conv_module(f'{prefix}.aspp_modules.0', cin, channels, 1))
    for i in range(1, num_rates):
        shapes.update(separable_conv_module(f'{prefix}.aspp_modules.{i}', cin, channels, 3))
    shapes.update(conv_module(f'{prefix}.bottleneck', (num_rates + 1) * channels, channels, 3))
    shapes.update(conv_module(f'{prefix}.c1_bottleneck', c1_in, c1_channels, 1))
    shapes.update(separable_conv_module(f'{prefix}.sep_bottleneck.0', channels + c1_channels,
                                        channels, 3))
    shapes.update(separable_conv_module(f'{prefix}.sep_bottleneck.1', channels, channels, 3))
    return {**shapes, **conv_seg(prefix, channels, num_classes)}


def nl_head(cin: int, channels: int, num_classes: int, reduction: int = 2,
            prefix: str = 'decode_head') -> Shapes:
    inter = channels // reduction
    shapes = conv_module(f'{prefix}.convs.0', cin, channels, 3)
    for name in ('g', 'theta', 'phi'):  # MMCV NonLocal2d: ConvModule without norm or act
        shapes.update(conv_module(f'{prefix}.nl_block.{name}', channels, inter, 1, norm=False))
    shapes.update(conv_module(f'{prefix}.nl_block.conv_out', inter, channels, 1))
    shapes.update(conv_module(f'{prefix}.convs.1', channels, channels, 3))
    shapes.update(conv_module(f'{prefix}.conv_cat', cin + channels, channels, 3))
    return {**shapes, **conv_seg(prefix, channels, num_classes)}


def fcn_aux_head(cin: int = 1024, channels: int = 256, num_classes: int = 19,
                 prefix: str = 'auxiliary_head') -> Shapes:
    """FCNHead with one conv and no concatenation (the D8 recipes' auxiliary head)."""
    return {**conv_module(f'{prefix}.convs.0', cin, channels, 3),
            **conv_seg(prefix, channels, num_classes)}


def mmseg_model(head: str, depth: int, num_classes: int) -> Shapes:
    """EncoderDecoder of MMSegmentation's ``{deeplabv3,deeplabv3plus,nonlocal}_r{depth}-d8``
    configs."""
    decode = {'deeplabv3': aspp_head, 'deeplabv3plus': sep_aspp_head, 'nonlocal': nl_head}[head]
    return {**resnet_v1c(depth), **decode(2048, 512, num_classes),
            **fcn_aux_head(num_classes=num_classes)}
