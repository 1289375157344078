"""ResNetV1c: ResNet with a three-conv stem, with MMSegmentation's parameter names."""
from typing import Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from segkit.registry import MODELS
from segkit.checkpoint import load_pretrained
from segkit.utils.errors import ConfigError

from ..layers import BasicBlock, Bottleneck, build_norm_layer, eval_batch_norms, freeze
from ..utils import adapt_input_conv_weight

ARCH_SETTINGS = {
    18: (BasicBlock, (2, 2, 2, 2)),
    34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)),
    101: (Bottleneck, (3, 4, 23, 3)),
    152: (Bottleneck, (3, 8, 36, 3)),
}


@MODELS.register_module()
class ResNetV1c(BaseModule):
    """ResNet-V1c backbone (deep stem: three 3x3 convs 3->32->32->64, then max-pool).

    Output stride is set by ``strides`` and ``dilations``: D8 is strides (1, 2, 1, 1) and
    dilations (1, 1, 2, 4) with ``contract_dilation=True`` (the first block of a dilated
    stage uses half the rate, as MMSegmentation does); D16 is (1, 2, 2, 1) / (1, 1, 1, 2).

    Multi-grid applies to the last stage. ``multi_grid_mode='paper'`` (default, DeepLabV3
    paper): block i uses ``dilation * multi_grid[i]``, e.g. OS16 with (1, 2, 4) gives rates
    2, 4, 8. ``'mmseg'`` uses ``multi_grid[i]`` itself as the rate, as MMSegmentation does,
    so its multi-grid checkpoints behave the same.

    Args:
        depth: 18, 34, 50, 101 or 152.
        in_channels: input image channels; pretrained RGB weights are adapted to them
            (:func:`~segkit.models.utils.adapt_input_conv_weight`).
        stem_channels: output channels of the stem.
        base_channels: channels of the first stage (before expansion).
        strides: stride of the first block of each stage.
        dilations: dilation of each stage.
        out_indices: stages whose outputs are returned.
        contract_dilation: halve the first block's dilation in dilated stages.
        multi_grid: per-block rates of the last stage, or None.
        multi_grid_mode: 'paper' or 'mmseg' (see above).
        frozen_stages: stages to freeze (-1: none; 0: the stem; k: stem and stages 1..k).
        norm_cfg: norm layer config.
        norm_eval: keep BN layers in eval mode (frozen statistics) during training.
        style: only 'pytorch' (stride on the 3x3 conv), accepted for config compatibility.
        zero_init_residual: when training from scratch, start the last norm of every
            residual block (``bn2`` of a BasicBlock, ``bn3`` of a Bottleneck) at weight 0, so
            each block starts as the identity of its shortcut (Goyal et al. 2017), as
            MMSegmentation does. Pretrained weights overwrite it.
        init_cfg: ``dict(type='Pretrained', checkpoint=PATH)`` to load ImageNet weights.
    """

    def __init__(self, depth: int = 50, in_channels: int = 3, stem_channels: int = 64,
                 base_channels: int = 64, num_stages: int = 4,
                 strides: Sequence[int] = (1, 2, 2, 2), dilations: Sequence[int] = (1, 1, 1, 1),
                 out_indices: Sequence[int] = (0, 1, 2, 3), contract_dilation: bool = False,
                 multi_grid: Optional[Sequence[int]] = None, multi_grid_mode: str = 'paper',
                 frozen_stages: int = -1, norm_cfg: dict = dict(type='BN', requires_grad=True),
                 norm_eval: bool = False, style: str = 'pytorch',
                 zero_init_residual: bool = True, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if depth not in ARCH_SETTINGS:
            raise ConfigError(f'ResNetV1c depth {depth} is not supported; expected one of '
                              f'{sorted(ARCH_SETTINGS)}')
        if style != 'pytorch':
            raise ConfigError(f"ResNetV1c style {style!r} is not supported; use 'pytorch'")
        if multi_grid_mode not in ('paper', 'mmseg'):
            raise ConfigError(f"ResNetV1c multi_grid_mode {multi_grid_mode!r}: expected 'paper' "
                              "or 'mmseg'")
        if not len(strides) == len(dilations) == num_stages:
            raise ConfigError(f'ResNetV1c needs {num_stages} strides and dilations, got '
                              f'strides={tuple(strides)} dilations={tuple(dilations)}')
        block, stage_blocks = ARCH_SETTINGS[depth]
        stage_blocks = stage_blocks[:num_stages]
        if multi_grid is not None and len(multi_grid) != stage_blocks[-1]:
            raise ConfigError(f'ResNetV1c multi_grid {tuple(multi_grid)} needs one rate per block '
                              f'of the last stage ({stage_blocks[-1]} blocks)')
        if max(out_indices) >= num_stages:
            raise ConfigError(f'ResNetV1c out_indices {tuple(out_indices)} must be < num_stages '
                              f'({num_stages})')
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.zero_init_residual = zero_init_residual
        self.in_channels = in_channels

        half = stem_channels // 2
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, half, 3, stride=2, padding=1, bias=False),
            build_norm_layer(norm_cfg, half), nn.ReLU(inplace=True),
            nn.Conv2d(half, half, 3, stride=1, padding=1, bias=False),
            build_norm_layer(norm_cfg, half), nn.ReLU(inplace=True),
            nn.Conv2d(half, stem_channels, 3, stride=1, padding=1, bias=False),
            build_norm_layer(norm_cfg, stem_channels), nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

        self.res_layers = []
        inplanes = stem_channels
        for i, num_blocks in enumerate(stage_blocks):
            planes = base_channels * 2**i
            rates = self._block_dilations(num_blocks, dilations[i], contract_dilation,
                                          multi_grid if i == num_stages - 1 else None,
                                          multi_grid_mode)
            layer = self._make_layer(block, inplanes, planes, rates, strides[i], norm_cfg)
            inplanes = planes * block.expansion
            name = f'layer{i + 1}'
            self.add_module(name, layer)
            self.res_layers.append(name)
        self.stage_channels = tuple(base_channels * 2**i * block.expansion
                                    for i in range(num_stages))
        self.out_channels = tuple(self.stage_channels[i] for i in self.out_indices)
        self._freeze_stages()

    @staticmethod
    def _block_dilations(num_blocks, dilation, contract_dilation, multi_grid, multi_grid_mode):
        if multi_grid is not None:
            if multi_grid_mode == 'mmseg':
                return list(multi_grid)
            return [dilation * g for g in multi_grid]
        first = dilation // 2 if contract_dilation and dilation > 1 else dilation
        return [first] + [dilation] * (num_blocks - 1)

    @staticmethod
    def _make_layer(block, inplanes, planes, rates, stride, norm_cfg):
        downsample = None
        if stride != 1 or inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes * block.expansion, 1, stride=stride, bias=False),
                build_norm_layer(norm_cfg, planes * block.expansion))
        blocks = []
        for i, rate in enumerate(rates):
            blocks.append(block(inplanes, planes, stride=stride if i == 0 else 1, dilation=rate,
                                downsample=downsample if i == 0 else None, norm_cfg=norm_cfg))
            inplanes = planes * block.expansion
        return nn.Sequential(*blocks)

    def _freeze_stages(self) -> None:
        freeze(([self.stem] if self.frozen_stages >= 0 else []) + [
            getattr(self, f'layer{i}') for i in range(1, self.frozen_stages + 1)])

    def init_weights(self) -> None:
        """Load ``init_cfg`` Pretrained weights from a local file, else Kaiming init (and
        ``zero_init_residual``)."""
        if self.init_cfg is not None and self.init_cfg.get('type') == 'Pretrained':
            load_pretrained(self, checkpoint=self.init_cfg.get('checkpoint'),
                            prefix=self.init_cfg.get('prefix'), adapt=self._adapt_stem)
            return
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, (_BatchNorm, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if self.zero_init_residual:
            for m in self.modules():
                if isinstance(m, (BasicBlock, Bottleneck)):
                    nn.init.constant_((m.bn3 if isinstance(m, Bottleneck) else m.bn2).weight, 0)

    def _adapt_stem(self, state: dict) -> None:
        """Adapt a pretrained 3-channel first conv to ``in_channels``, in place."""
        adapt_input_conv_weight(state, 'stem.0.weight', self.in_channels, type(self).__name__)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.maxpool(self.stem(x))
        outs = []
        for i, name in enumerate(self.res_layers):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def train(self, mode: bool = True) -> 'ResNetV1c':
        """Keep frozen stages, and all BN layers when ``norm_eval``, in eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            eval_batch_norms(self)
        return self
