"""EncoderDecoder: backbone -> decode head (+ auxiliary heads), with whole/slide inference."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModel
from mmengine.structures import PixelData
from torch import nn

from segkit.registry import MODELS
from segkit.structures import SegDataSample
from segkit.utils.errors import ConfigError, DataError

from ..decode_heads.input_channels import fill_in_channels
from ..utils import class_argmax, resize, to_channels_last

TEST_MODES = ('whole', 'slide')
TEST_CFG_KEYS = ('mode', 'crop_size', 'stride', 'logits_device')
Inputs = Union[torch.Tensor, Dict[str, torch.Tensor]]


@MODELS.register_module()
class EncoderDecoder(BaseModel):
    """Segmentor: ``backbone -> [neck] -> decode_head``, auxiliary heads in training.

    ``forward(inputs, data_samples, mode)`` with mode ``'loss'`` (dict of losses, decode
    losses prefixed ``decode.`` and auxiliary ones ``aux.``), ``'predict'`` (samples with
    ``seg_logits`` and ``pred_sem_seg`` at the original image size) or ``'tensor'`` (the
    decode head's ``'seg'`` logits at the input size, ``(N, num_classes, H, W)``).

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
        test_cfg: ``dict(mode='whole')`` or ``dict(mode='slide', crop_size=(h, w),
            stride=(h, w))``: sliding windows average the logits where they overlap.
            ``logits_device='cpu'`` keeps the full-image logits (the window accumulators)
            and their resizing on the CPU, so GPU memory stays bounded by one window.
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
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
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
        self.test_cfg = self._check_test_cfg(dict(test_cfg or dict(mode='whole')))
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

    @staticmethod
    def _check_test_cfg(test_cfg: dict) -> dict:
        unknown = set(test_cfg) - set(TEST_CFG_KEYS)
        if unknown:
            raise ConfigError(f'model.test_cfg has unknown key(s) {sorted(unknown)}; expected '
                              f'some of {TEST_CFG_KEYS}')
        mode = test_cfg.setdefault('mode', 'whole')
        if mode not in TEST_MODES:
            raise ConfigError(f'model.test_cfg.mode {mode!r}: expected one of {TEST_MODES}')
        if mode == 'slide' and not {'crop_size', 'stride'} <= set(test_cfg):
            raise ConfigError("model.test_cfg with mode='slide' needs crop_size and stride")
        device = test_cfg.get('logits_device')
        if device is not None:
            try:
                torch.device(device)
            except RuntimeError:
                raise ConfigError(f'model.test_cfg.logits_device {device!r}: expected a torch '
                                  "device such as 'cpu' or 'cuda', or None") from None
        return test_cfg

    def _prefixed_heads(self) -> List[Tuple[str, nn.Module]]:
        """``(log prefix, head)``: ``decode``, then ``aux`` or ``aux_0``, ``aux_1``, ..."""
        heads = [('decode', self.decode_head)]
        if isinstance(self.auxiliary_head, nn.ModuleList):
            heads += [(f'aux_{i}', head) for i, head in enumerate(self.auxiliary_head)]
        elif self.auxiliary_head is not None:
            heads.append(('aux', self.auxiliary_head))
        return heads

    def _check_extra_inputs(self) -> None:
        """Every extra input a head reads must come from the data preprocessor."""
        made = getattr(self.data_preprocessor, 'input_names', ('img',))
        for _, head in self._prefixed_heads():
            missing = {k: v for k, v in head.extra_inputs.items() if k not in made}
            if missing:
                raise ConfigError(
                    f'model.data_preprocessor: {type(head).__name__} reads the input(s) '
                    f'{list(missing)} beside the image, which '
                    f'{type(self.data_preprocessor).__name__} does not make: '
                    + '; '.join(f'{k}: {v}' for k, v in missing.items()))

    def _split_inputs(self, inputs: Inputs) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """The image and the dict of named inputs (``'img'`` included)."""
        named = inputs if isinstance(inputs, dict) else dict(img=inputs)
        for _, head in self._prefixed_heads():
            missing = {k: v for k, v in head.extra_inputs.items() if k not in named}
            if missing:
                got = f'a {tuple(inputs.shape)} tensor' if isinstance(inputs, torch.Tensor) \
                    else f'inputs {list(named)}'
                raise DataError(f'{type(head).__name__} reads the input(s) {list(missing)} '
                                f'beside the image; pass inputs as a dict with keys '
                                f"{['img', *missing]} ("
                                + '; '.join(f'{k}: {v}' for k, v in missing.items())
                                + f'), got {got}')
        return named['img'], named

    def _logits_device(self, inputs: torch.Tensor) -> torch.device:
        """Where full-image logits live: ``test_cfg.logits_device``, else the input's device."""
        device = self.test_cfg.get('logits_device')
        return torch.device(device) if device is not None else inputs.device

    def extract_feat(self, img: torch.Tensor):
        x = self.backbone(img)
        return self.neck(x) if self.neck is not None else x

    def forward(self, inputs: Inputs, data_samples: Optional[List[SegDataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.encode_decode(inputs)['seg']
        raise ValueError(f"forward mode {mode!r}: expected 'loss', 'predict' or 'tensor'")

    def loss(self, inputs: Inputs, data_samples: List[SegDataSample]) -> dict:
        img, named = self._split_inputs(inputs)
        x = self.extract_feat(img)
        size = data_samples[0].gt_sem_seg.shape
        losses = {}
        for prefix, head in self._prefixed_heads():
            losses.update({f'{prefix}.{k}': v
                           for k, v in head.loss(x, size, named, data_samples).items()})
        return losses

    def encode_decode(self, inputs: Inputs) -> Dict[str, torch.Tensor]:
        """The decode head's outputs at the input's size."""
        img, named = self._split_inputs(inputs)
        return self.decode_head.predict(self.extract_feat(img), size=img.shape[2:], extras=named)

    def slide_inference(self, inputs: Inputs) -> Dict[str, torch.Tensor]:
        """Outputs from overlapping ``crop_size`` windows of every named input, averaged
        where they overlap."""
        img, named = self._split_inputs(inputs)
        h_stride, w_stride = self.test_cfg['stride']
        h_crop, w_crop = self.test_cfg['crop_size']
        batch, _, h_img, w_img = img.shape
        h_grids = max(h_img - h_crop + h_stride - 1, 0) // h_stride + 1
        w_grids = max(w_img - w_crop + w_stride - 1, 0) // w_stride + 1
        device = self._logits_device(img)
        outputs = {}
        count = img.new_zeros((1, 1, h_img, w_img), device=device)
        for h_idx in range(h_grids):
            for w_idx in range(w_grids):
                y1 = min(h_idx * h_stride, max(h_img - h_crop, 0))
                x1 = min(w_idx * w_stride, max(w_img - w_crop, 0))
                y2, x2 = min(y1 + h_crop, h_img), min(x1 + w_crop, w_img)
                windows = self.encode_decode({k: v[:, :, y1:y2, x1:x2] for k, v in named.items()})
                for name, window in windows.items():
                    if name not in outputs:
                        outputs[name] = img.new_zeros((batch, window.shape[1], h_img, w_img),
                                                      device=device)
                    outputs[name][:, :, y1:y2, x1:x2] += window.to(device)
                count[:, :, y1:y2, x1:x2] += 1
        return {name: x.div_(count) for name, x in outputs.items()}

    def inference(self, inputs: Inputs) -> Dict[str, torch.Tensor]:
        """The decode head's outputs at the input size, whole or from sliding windows."""
        if self.test_cfg['mode'] == 'slide':
            return self.slide_inference(inputs)
        img = self._split_inputs(inputs)[0]
        device = self._logits_device(img)
        return {name: x.to(device) for name, x in self.encode_decode(inputs).items()}

    def predict(self, inputs: Inputs,
                data_samples: Optional[List[SegDataSample]] = None) -> List[SegDataSample]:
        """Predict class maps (and ``pred_edge`` with ``predict_edge``) at each image's
        original size."""
        img = self._split_inputs(inputs)[0]
        if data_samples is None:
            data_samples = [SegDataSample(metainfo=dict(img_shape=img.shape[2:],
                                                        ori_shape=img.shape[2:]))
                            for _ in range(img.shape[0])]
        return self.postprocess_result(self.inference(inputs), data_samples)

    def postprocess_result(self, outputs: Dict[str, torch.Tensor],
                           data_samples: List[SegDataSample]) -> List[SegDataSample]:
        """Crop the padding, undo a test-time flip, resize to ``ori_shape``; argmax of
        ``'seg'``, and the ``'edge'`` probability with ``predict_edge``."""
        seg_logits = outputs['seg']
        edge = torch.sigmoid(outputs['edge']) if self.predict_edge else None
        for i, sample in enumerate(data_samples):
            logits = self._to_original(seg_logits[i:i + 1], sample)
            sample.seg_logits = PixelData(data=logits)
            sample.pred_sem_seg = PixelData(data=class_argmax(logits, dim=0)[None])
            if edge is not None:
                sample.pred_edge = PixelData(data=self._to_original(edge[i:i + 1], sample))
        return data_samples

    def _to_original(self, maps: torch.Tensor, sample: SegDataSample) -> torch.Tensor:
        """``(1, C, H, W)`` maps at the input size -> ``(C, h, w)`` at ``ori_shape``."""
        h, w = sample.metainfo.get('img_shape', maps.shape[2:])
        maps = maps[:, :, :h, :w]
        if sample.metainfo.get('flip', False):
            dims = (2,) if sample.metainfo.get('flip_direction') == 'vertical' else (3,)
            maps = maps.flip(dims=dims)
        ori_shape = sample.metainfo.get('ori_shape', (h, w))
        return resize(maps, size=ori_shape, align_corners=self.align_corners)[0]
