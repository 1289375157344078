"""TorchvisionResNet: torchvision's ResNet (7x7 stem), for torchvision's ImageNet weights."""
import os.path as osp
from functools import partial
from typing import Optional, Sequence, Tuple

import torch
import torchvision
from mmengine.logging import print_log
from mmengine.model import BaseModule

from segkit.registry import MODELS
from segkit.checkpoint import (check_state_dict, resolve_checkpoint, safe_load, state_dict_of,
                               strip_ddp_prefix)
from segkit.utils.errors import CheckpointError, ConfigError

from ..layers import build_norm_layer, eval_batch_norms, freeze
from ..utils import adapt_input_conv_weight

DEPTHS = (18, 34, 50, 101, 152)
CLASSIFIER_PREFIX = 'fc.'


def weight_urls(depth: int) -> Tuple[str, ...]:
    """torchvision's download URLs of the ImageNet weights of ResNet-``depth``."""
    weights = getattr(torchvision.models, f'ResNet{depth}_Weights')
    return tuple(w.url for w in weights)


@MODELS.register_module()
class TorchvisionResNet(BaseModule):
    """torchvision's ResNet at output stride 32, returning the stage outputs (1/4..1/32).

    The modules keep torchvision's names (``conv1``, ``bn1``, ``layer1``..``layer4``), so
    torchvision's weight files (``resnet152-394f9c45.pth``, IMAGENET1K_V1, the weights of
    GCN's reference code; ``resnet152-f82ba261.pth``, IMAGENET1K_V2) load as they are,
    without their classifier ``fc``. The network is built with ``weights=None``: nothing
    is downloaded.

    Args:
        depth: 18, 34, 50, 101 or 152.
        in_channels: input image channels; torchvision's RGB weights are adapted to them
            (:func:`~segkit.models.utils.adapt_input_conv_weight`).
        out_indices: stages whose outputs are returned.
        frozen_stages: stages to freeze (-1: none; 0: the stem; k: stem and stages 1..k).
        norm_cfg: norm layer config.
        norm_eval: keep BN layers in eval mode (frozen statistics) during training.
        init_cfg: ``dict(type='Pretrained', checkpoint=PATH)`` with a local torchvision file;
            None keeps torchvision's initialisation.
    """

    def __init__(self, depth: int = 152, in_channels: int = 3,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 frozen_stages: int = -1, norm_cfg: dict = dict(type='BN', requires_grad=True),
                 norm_eval: bool = False, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if depth not in DEPTHS:
            raise ConfigError(f'TorchvisionResNet depth {depth} is not supported; expected one '
                              f'of {DEPTHS}')
        if not out_indices or min(out_indices) < 0 or max(out_indices) > 3:
            raise ConfigError(f'TorchvisionResNet out_indices {tuple(out_indices)}: expected '
                              'stage indices in 0..3')
        self.depth = depth
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        net = getattr(torchvision.models, f'resnet{depth}')(
            weights=None, norm_layer=partial(build_norm_layer, norm_cfg))
        self.in_channels = in_channels
        self.conv1 = net.conv1 if in_channels == 3 else torch.nn.Conv2d(
            in_channels, net.conv1.out_channels, kernel_size=7, stride=2, padding=3, bias=False)
        if in_channels != 3:  # torchvision's initialisation of its convs
            torch.nn.init.kaiming_normal_(self.conv1.weight, mode='fan_out', nonlinearity='relu')
        self.bn1, self.relu, self.maxpool = net.bn1, net.relu, net.maxpool
        self.layer1, self.layer2, self.layer3, self.layer4 = (
            net.layer1, net.layer2, net.layer3, net.layer4)
        self.stage_channels = tuple(net.fc.in_features // 2**(3 - i) for i in range(4))
        self.out_channels = tuple(self.stage_channels[i] for i in self.out_indices)
        self._freeze_stages()

    def _freeze_stages(self) -> None:
        stem = [self.conv1, self.bn1] if self.frozen_stages >= 0 else []
        freeze(stem + [getattr(self, f'layer{i}') for i in range(1, self.frozen_stages + 1)])

    def init_weights(self) -> None:
        """Load torchvision weights (``init_cfg`` Pretrained: a file, a URL or
        ``torchvision://resnetN``) strictly, without fc."""
        if self.init_cfg is None or self.init_cfg.get('type') != 'Pretrained':
            super().init_weights()
            return
        path = self.init_cfg.get('checkpoint')
        local = resolve_checkpoint(path) if path else None
        if not local or not osp.isfile(local):
            raise CheckpointError(
                f'TorchvisionResNet-{self.depth} weights not found at {path!r}: set the '
                f"checkpoint (model.pretrained or backbone init_cfg) to 'torchvision://resnet"
                f"{self.depth}', one of {', '.join(weight_urls(self.depth))}, or the local "
                'path of one of those files')
        state = strip_ddp_prefix(state_dict_of(safe_load(local)))
        state = {k: v for k, v in state.items() if not k.startswith(CLASSIFIER_PREFIX)}
        adapt_input_conv_weight(state, 'conv1.weight', self.in_channels,
                                f'TorchvisionResNet-{self.depth}')
        report = check_state_dict(state, self)
        if not report.ok:
            raise CheckpointError(
                f'{path} is not a torchvision ResNet-{self.depth} file: missing '
                f'{report.missing[:3]}, unexpected {report.unexpected[:3]}, shape mismatches '
                f'{report.shape_mismatches[:3]} (a ResNetV1c file has stem.* keys: use '
                'ResNetV1c for it)')
        self.load_state_dict(state)
        print_log(f'loaded {len(state)} tensors into TorchvisionResNet-{self.depth} from {path}',
                  logger='current')

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        outs = []
        for i in range(4):
            x = getattr(self, f'layer{i + 1}')(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def train(self, mode: bool = True) -> 'TorchvisionResNet':
        """Keep frozen stages, and all BN layers when ``norm_eval``, in eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            eval_batch_norms(self)
        return self
