"""TimmBackbone: any timm model's feature maps, via ``timm.create_model(features_only=True)``."""
import difflib
import logging
from typing import Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

from segkit.registry import MODELS
from segkit.checkpoint import check_state_dict, safe_load, state_dict_of, strip_ddp_prefix
from segkit.utils.errors import CheckpointError, ConfigError

from ..layers import eval_batch_norms, is_distributed

NORM_TYPES = ('BN', 'SyncBN')
# Models whose timm builders take output_stride (dilated last stages), for error messages.
DILATABLE_EXAMPLES = 'resnet50, convnext_tiny, efficientnet_b0, mobilenetv3_large_100, regnety_016'


@MODELS.register_module()
class TimmBackbone(BaseModule):
    """A `timm <https://github.com/huggingface/pytorch-image-models>`_ model as a backbone.

    ``timm.create_model(model_name, features_only=True, out_indices=...)`` keeps the
    network up to its last selected feature level and returns one map per level.
    ``out_channels`` and ``out_strides`` (from timm's ``feature_info``) say what each
    output holds, and a segmentor hands ``out_channels`` to heads that leave
    ``in_channels`` unset. Most CNNs give five levels at strides 2, 4, 8, 16, 32 (ResNet,
    EfficientNet, MobileNetV3) or four at 4..32 (ConvNeXt, Swin).

    ``output_stride=8`` or ``16`` dilates the last stages instead of striding, for the
    models whose timm builder supports it (ResNet, ConvNeXt, EfficientNet, MobileNetV3,
    RegNet, ...); others raise a :class:`ConfigError`.

    Weights: ``pretrained=True`` takes timm's own ImageNet weights for ``model_name``
    (downloaded once into timm's cache, the Hugging Face hub cache, when weights are
    initialised, i.e. at the start of training). ``init_cfg=dict(type='Pretrained',
    checkpoint=PATH)`` (or the segmentor's ``pretrained=PATH``) loads a file through
    segkit's safe checkpoint loader instead: a timm (or original-repository) classifier
    checkpoint, remapped and stripped of its classifier by timm, or a state dict of this
    backbone itself. With ``in_channels`` other than 3 the first conv's pretrained weights
    are adapted by timm (summed for 1 channel, repeated and rescaled otherwise).

    Norm layers stay timm's. ``norm_cfg`` type ``'BN'`` keeps them; ``'SyncBN'`` turns
    BatchNorm layers into SyncBatchNorm when distributed on GPUs (plain BN otherwise, as
    for the other backbones); ``requires_grad=False`` freezes their affine parameters,
    ``eps``/``momentum`` set theirs. Models with LayerNorm (ConvNeXt, Swin) keep it.

    Args:
        model_name: a timm model name (``timm.list_models()``), e.g. ``'convnext_tiny'``.
        out_indices: feature levels to return (timm's indices); None: all of them.
        output_stride: 32 (no dilation), 16 or 8.
        in_channels: input image channels.
        pretrained: load timm's own weights for ``model_name`` (needs its cache or the
            network) when weights are initialised.
        norm_cfg: ``type`` 'BN' or 'SyncBN'; optional ``requires_grad``, ``eps``,
            ``momentum``.
        norm_eval: keep BN layers in eval mode (frozen statistics) during training.
        model_kwargs: further keyword arguments of the timm model, e.g.
            ``dict(drop_path_rate=0.1)``.
        init_cfg: ``dict(type='Pretrained', checkpoint=PATH, prefix=None)`` for a local file.
    """

    def __init__(self, model_name: str, out_indices: Optional[Sequence[int]] = None,
                 output_stride: int = 32, in_channels: int = 3, pretrained: bool = False,
                 norm_cfg: dict = dict(type='BN', requires_grad=True), norm_eval: bool = False,
                 model_kwargs: Optional[dict] = None, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if output_stride not in (8, 16, 32):
            raise ConfigError(f'TimmBackbone output_stride {output_stride!r}: expected 8, 16 '
                              'or 32')
        norm_type = norm_cfg.get('type')
        if norm_type not in NORM_TYPES:
            raise ConfigError(f'TimmBackbone norm_cfg type {norm_type!r}: expected one of '
                              f'{NORM_TYPES} (the model keeps its own norm layers)')
        self.model_name = model_name
        self.output_stride = output_stride
        self.pretrained = pretrained
        self.norm_eval = norm_eval
        self.timm_kwargs = dict(model_kwargs or {}, features_only=True, in_chans=in_channels)
        if out_indices is not None:
            self.timm_kwargs['out_indices'] = tuple(out_indices)
        if output_stride != 32:
            self.timm_kwargs['output_stride'] = output_stride
        self.model = self._create(pretrained=False)
        self.out_channels: Tuple[int, ...] = tuple(self.model.feature_info.channels())
        self.out_strides: Tuple[int, ...] = tuple(self.model.feature_info.reduction())
        if max(self.out_strides) > output_stride:
            raise ConfigError(
                f'TimmBackbone {model_name!r} gives output strides {self.out_strides} with '
                f'output_stride={output_stride}: timm does not dilate this model; use '
                f'output_stride=32 or a model that supports it ({DILATABLE_EXAMPLES})')
        self._set_norms(norm_cfg)

    def _create(self, pretrained: bool, **extra):
        """``timm.create_model`` with this backbone's arguments; timm's errors as ConfigError."""
        import timm  # imported on use: importing timm takes seconds, most configs need none
        name, kwargs = self.model_name, dict(self.timm_kwargs, **extra)
        if not timm.is_model(name):
            close = difflib.get_close_matches(name, timm.list_models(), n=5, cutoff=0.6)
            raise ConfigError(f'TimmBackbone model_name {name!r} is not a timm model'
                              + (f"; closest: {', '.join(close)}" if close else
                                 "; see timm.list_models('*PATTERN*')"))
        try:
            return timm.create_model(name, pretrained=pretrained, **kwargs)
        except TypeError as exc:
            if 'output_stride' in str(exc):
                raise ConfigError(
                    f'TimmBackbone {name!r} does not support output_stride='
                    f'{self.output_stride} (timm cannot dilate it); use output_stride=32 or a '
                    f'model that supports it ({DILATABLE_EXAMPLES})') from None
            raise ConfigError(f'TimmBackbone {name!r}: timm rejects the arguments '
                              f'{sorted(kwargs)}: {exc}') from None
        except (AssertionError, IndexError, ValueError) as exc:
            raise ConfigError(f'TimmBackbone {name!r} cannot be built with '
                              f"out_indices={kwargs.get('out_indices')}: {exc or type(exc)}") \
                from None
        except RuntimeError as exc:
            if 'features_only' in str(exc):
                raise ConfigError(f'TimmBackbone {name!r}: timm gives no feature maps for it '
                                  f'({exc})') from None
            raise

    def _set_norms(self, norm_cfg: dict) -> None:
        """Apply ``norm_cfg`` to the model's BatchNorm layers (see the class docstring)."""
        if norm_cfg['type'] == 'SyncBN':
            if is_distributed() and torch.cuda.is_available():
                from timm.layers import convert_sync_batchnorm
                self.model = convert_sync_batchnorm(self.model)
            else:
                print_log('SyncBN in the TimmBackbone config: not distributed on GPUs; '
                          'keeping BatchNorm2d.', logger='current')
        for module in self.model.modules():
            if isinstance(module, _BatchNorm):
                for key in ('eps', 'momentum'):
                    if key in norm_cfg:
                        setattr(module, key, norm_cfg[key])
                for param in module.parameters():
                    param.requires_grad = norm_cfg.get('requires_grad', True)

    def init_weights(self) -> None:
        """Load timm's weights (``pretrained``) or a file (``init_cfg`` Pretrained); else
        keep timm's initialisation."""
        if self.init_cfg is not None and self.init_cfg.get('type') == 'Pretrained':
            self._load_file(self.init_cfg.get('checkpoint'), self.init_cfg.get('prefix'))
        elif self.pretrained:
            try:
                source = self._create(pretrained=True)
            except Exception as exc:  # hub, network and file errors alike
                raise CheckpointError(
                    f"TimmBackbone could not get timm's pretrained weights for "
                    f'{self.model_name!r} ({type(exc).__name__}: {str(exc).splitlines()[0]}); '
                    "they download once into timm's cache (the Hugging Face hub cache, "
                    'HF_HOME); offline, copy that cache or set '
                    "init_cfg=dict(type='Pretrained', checkpoint=PATH)") from None
            self.model.load_state_dict(source.state_dict())
            print_log(f"loaded timm's pretrained weights of {self.model_name!r}",
                      logger='current')

    def _load_file(self, checkpoint: Optional[str], prefix: Optional[str]) -> None:
        """Weights from a file: this backbone's own keys (``model.*``), or a timm model's,
        remapped and adapted by timm; every tensor of the backbone must come from it."""
        if not checkpoint:
            raise CheckpointError('TimmBackbone init_cfg Pretrained needs a checkpoint path')
        state = strip_ddp_prefix(state_dict_of(safe_load(checkpoint)))
        if prefix:
            state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        if check_state_dict(state, self).ok:
            self.load_state_dict(state)
        else:
            self.model.load_state_dict(self._timm_adapted(state, checkpoint))
        print_log(f'loaded TimmBackbone {self.model_name!r} from {checkpoint}', logger='current')

    def _timm_adapted(self, state: dict, checkpoint: str) -> dict:
        """``state`` (a timm model's layout) loaded by timm into a model like this one:
        timm's key remapping, classifier removal and input-conv adaptation. timm loads
        without a classifier non-strictly and logs the missing keys: they are an error."""
        records = []
        handler = logging.Handler(logging.INFO)
        handler.emit = records.append
        timm_logger = logging.getLogger('timm.models._builder')
        level = timm_logger.level
        timm_logger.addHandler(handler)
        timm_logger.setLevel(logging.INFO)
        try:
            source = self._create(pretrained=True, pretrained_cfg_overlay=dict(state_dict=state))
        except RuntimeError as exc:
            raise CheckpointError(f'{checkpoint} does not fit timm model {self.model_name!r}: '
                                  f'{str(exc).splitlines()[0]}') from None
        finally:
            timm_logger.removeHandler(handler)
            timm_logger.setLevel(level)
        missing = [r.getMessage() for r in records if r.getMessage().startswith('Missing keys')]
        if missing:
            raise CheckpointError(f'{checkpoint} does not fit timm model {self.model_name!r}: '
                                  f"{missing[0].split(' discovered')[0][:300]}")
        return source.state_dict()

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        return tuple(self.model(x))

    def train(self, mode: bool = True) -> 'TimmBackbone':
        """Keep all BN layers in eval mode when ``norm_eval``."""
        super().train(mode)
        if mode and self.norm_eval:
            eval_batch_norms(self)
        return self
