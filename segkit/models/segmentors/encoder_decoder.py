"""EncoderDecoder: backbone -> decode head (+ auxiliary heads)."""
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from segkit.registry import MODELS
from segkit.structures import SegDataSample
from segkit.utils.errors import ConfigError, DataError

from ..decode_heads.input_channels import fill_in_channels
from ..utils import to_channels_last
from .base_segmentor import BaseSegmentor, Inputs, NamedInputs


@MODELS.register_module()
class EncoderDecoder(BaseSegmentor):
    """Segmentor: ``backbone -> [neck] -> decode_head``, auxiliary heads in training.

    Forward modes, whole/slide inference and post-processing are
    :class:`BaseSegmentor`'s; ``'loss'`` gives the decode losses prefixed ``decode.`` and
    the auxiliary ones ``aux.``, ``'tensor'`` the decode head's ``'seg'`` logits.
    A binary head with ``out_channels=1`` gives ``(N, 1, H, W)`` logits, thresholded in
    post-processing at ``test_cfg.threshold`` (default: the head's ``threshold``).

    ``inputs`` is the normalised image batch ``(N, 3, H, W)``, or a dict of named
    ``(N, C, H, W)`` tensors at the input size: ``'img'`` plus the extra inputs the heads
    declare (``extra_inputs``, e.g. Gated-SCNN's Canny ``'edge'``), as the data
    preprocessor makes them. The backbone sees ``'img'``; every head gets the dict
    (``extras``) and the target size: the label size in training, the input size (each
    window's in slide mode) at inference. Sliding windows crop every named input alike
    and average every head output alike.

    Args:
        backbone: backbone config.
        decode_head: decode head config.
        neck: optional neck config.
        auxiliary_head: an auxiliary head config, a list of them, or None.
        train_cfg: unused by this segmentor; accepted for MMSegmentation configs.
        test_cfg: whole or slide inference, see :class:`BaseSegmentor`; ``threshold``
            overrides the decode head's (binary heads with ``out_channels=1``).
        data_preprocessor: data preprocessor config.
        pretrained: path of backbone weights; sets the backbone's ``init_cfg``.
        channels_last: weights and activations in channels-last (NHWC) layout
            (:func:`segkit.models.utils.to_channels_last`); ``tools/train.py --channels-last``.
        predict_edge: predictions also hold ``pred_edge``, the edge probability
            ``(1, H, W)`` (sigmoid of the decode head's ``'edge'`` logits, e.g.
            :class:`GSCNNHead`'s) at the original image size.
        init_cfg: mmengine init config.
    """

    def __init__(self, backbone: dict, decode_head: dict, neck: Optional[dict] = None,
                 auxiliary_head: Union[dict, Sequence[dict], None] = None,
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None, pretrained: Optional[str] = None,
                 channels_last: bool = False, predict_edge: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, test_cfg=test_cfg,
                         init_cfg=init_cfg)
        if pretrained is not None:
            backbone = dict(backbone, init_cfg=dict(type='Pretrained', checkpoint=pretrained))
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.decode_head = self._build_head(decode_head, 'decode_head')
        self.num_classes = self.decode_head.num_classes
        self.align_corners = self.decode_head.align_corners
        if auxiliary_head is None:
            self.auxiliary_head = None
        elif isinstance(auxiliary_head, (list, tuple)):
            self.auxiliary_head = nn.ModuleList(
                self._build_head(h, f'auxiliary_head[{i}]') for i, h in enumerate(auxiliary_head))
        else:
            self.auxiliary_head = self._build_head(auxiliary_head, 'auxiliary_head')
        self.train_cfg = train_cfg
        if self.decode_head.out_channels == 1:  # binary, sigmoid: the head's threshold
            self.test_cfg.setdefault('threshold', self.decode_head.threshold)
        self._check_extra_inputs()
        if predict_edge and 'edge' not in self.decode_head.output_names:
            raise ConfigError(f'model.predict_edge=True: {type(self.decode_head).__name__} '
                              'predicts no edge map')
        self.predict_edge = predict_edge
        self.channels_last = False
        if channels_last:
            to_channels_last(self)

    def _build_head(self, cfg: dict, name: str) -> nn.Module:
        """A head whose unset ``in_channels`` come from the features it reads (the neck's,
        else the backbone's ``out_channels``); given ones must match them."""
        features = self.neck if self.neck is not None else self.backbone
        what = ' '.join([type(features).__name__]
                        + ([repr(features.model_name)] if hasattr(features, 'model_name') else []))
        source = f"the {'neck' if self.neck is not None else 'backbone'} ({what})"
        return MODELS.build(fill_in_channels(cfg, getattr(features, 'out_channels', None),
                                             name, source))

    def _prefixed_heads(self) -> List[Tuple[str, nn.Module]]:
        """``(log prefix, head)``: ``decode``, then ``aux`` or ``aux_0``, ``aux_1``, ..."""
        heads = [('decode', self.decode_head)]
        if isinstance(self.auxiliary_head, nn.ModuleList):
            heads += [(f'aux_{i}', head) for i, head in enumerate(self.auxiliary_head)]
        elif self.auxiliary_head is not None:
            heads.append(('aux', self.auxiliary_head))
        return heads

    def _missing_inputs(self, names) -> Iterator[Tuple[nn.Module, Dict[str, str]]]:
        """``(head, {input: description})`` for each head reading inputs not in ``names``."""
        for _, head in self._prefixed_heads():
            missing = {k: v for k, v in head.extra_inputs.items() if k not in names}
            if missing:
                yield head, missing

    def _check_extra_inputs(self) -> None:
        """Every extra input a head reads must come from the data preprocessor."""
        made = getattr(self.data_preprocessor, 'input_names', ('img',))
        for head, missing in self._missing_inputs(made):
            raise ConfigError(
                f'model.data_preprocessor: {type(head).__name__} reads the input(s) '
                f'{list(missing)} beside the image, which '
                f'{type(self.data_preprocessor).__name__} does not make: '
                + '; '.join(f'{k}: {v}' for k, v in missing.items()))

    def check_inputs(self, named: NamedInputs, inputs: Inputs) -> None:
        """Every extra input a head reads is in ``named``."""
        for head, missing in self._missing_inputs(named):
            got = f'a {tuple(inputs.shape)} tensor' if isinstance(inputs, torch.Tensor) \
                else f'inputs {list(named)}'
            raise DataError(f'{type(head).__name__} reads the input(s) {list(missing)} '
                            f'beside the image; pass inputs as a dict with keys '
                            f"{['img', *missing]} ("
                            + '; '.join(f'{k}: {v}' for k, v in missing.items())
                            + f'), got {got}')

    def extract_feat(self, img: torch.Tensor):
        x = self.backbone(img)
        return self.neck(x) if self.neck is not None else x

    def loss(self, inputs: Inputs, data_samples: List[SegDataSample]) -> dict:
        named = self._named(inputs)
        x = self.extract_feat(named['img'])
        size = data_samples[0].gt_sem_seg.shape
        losses = {}
        for prefix, head in self._prefixed_heads():
            losses.update({f'{prefix}.{k}': v
                           for k, v in head.loss(x, size, named, data_samples).items()})
        return losses

    def model_outputs(self, inputs: NamedInputs) -> Dict[str, torch.Tensor]:
        """The decode head's outputs at the input's size."""
        img = inputs['img']
        return self.decode_head.predict(self.extract_feat(img), size=img.shape[2:], extras=inputs)
