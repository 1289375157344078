"""BaseSegmentor: forward modes, whole/slide inference and post-processing of every segmentor."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel
from mmengine.structures import PixelData

from segkit.structures import SegDataSample
from segkit.utils.errors import ConfigError

from ..utils import resize, seg_labels, seg_probabilities

TEST_MODES = ('whole', 'slide')
TEST_CFG_KEYS = ('mode', 'crop_size', 'stride', 'logits_device', 'threshold')
Inputs = Union[torch.Tensor, Dict[str, torch.Tensor]]
NamedInputs = Dict[str, torch.Tensor]
AVERAGE_MODES = ('softmax', 'logits')
# Metainfo that describes the original image, the same for every test-time augmented view.
KEPT_META_KEYS = ('img_path', 'seg_map_path', 'ori_shape', 'reduce_zero_label')


def check_test_cfg(test_cfg: Optional[dict]) -> dict:
    """``model.test_cfg`` with its defaults (whole inference); a ConfigError names a bad key."""
    test_cfg = dict(test_cfg or dict(mode='whole'))
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


class BaseSegmentor(BaseModel):
    """Everything a segmentor does around its model call.

    A subclass sets ``num_classes`` and ``align_corners`` and implements
    :meth:`model_outputs` (named inputs -> named outputs at the input size, ``'seg'``
    logits at least) and, to be trainable, :meth:`loss`. This class checks ``test_cfg``,
    splits the inputs once per forward (:meth:`split_inputs`), dispatches the forward
    modes, runs whole or sliding-window inference, post-processes predictions (padding
    cropped, test-time flip undone, resized to ``ori_shape``) and merges the predictions
    of test-time augmented views (:meth:`merge_views`, for ``SegTTAModel``).

    ``forward(inputs, data_samples, mode)``: ``'loss'`` (dict of losses), ``'predict'``
    (samples with ``seg_logits`` and ``pred_sem_seg`` at the original image size, and
    ``pred_edge`` with ``predict_edge``) or ``'tensor'`` (``'seg'`` logits at the input
    size, ``(N, num_classes, H, W)``). ``inputs`` is the normalised image batch, or a dict
    of named ``(N, C, H, W)`` tensors with ``'img'`` among them; the methods below take
    that dict (a tensor stands for ``{'img': tensor}``).

    Args:
        data_preprocessor: data preprocessor config.
        test_cfg: ``dict(mode='whole')`` or ``dict(mode='slide', crop_size=(h, w),
            stride=(h, w))``: sliding windows average the outputs where they overlap.
            ``logits_device='cpu'`` keeps the full-image outputs (the window accumulators)
            and their resizing on the CPU, so GPU memory stays bounded by one window.
            ``threshold`` (one-channel binary outputs): the sigmoid probability above which
            a pixel is foreground (default 0.5).
        init_cfg: mmengine init config.
    """

    predict_edge = False  # predictions hold pred_edge, the sigmoid of the 'edge' output

    def __init__(self, data_preprocessor: Optional[dict] = None,
                 test_cfg: Optional[dict] = None, init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.test_cfg = check_test_cfg(test_cfg)

    def model_outputs(self, inputs: NamedInputs) -> Dict[str, torch.Tensor]:
        """The model call: ``{'seg': logits (N, num_classes, H, W), ...}`` at the input size."""
        raise NotImplementedError(f'{type(self).__name__} implements no model_outputs')

    def loss(self, inputs: NamedInputs, data_samples: List[SegDataSample]) -> dict:
        """The losses of a training batch."""
        raise NotImplementedError(f'{type(self).__name__} cannot be trained (no loss)')

    def check_inputs(self, named: NamedInputs, inputs: Inputs) -> None:
        """Fail when ``named`` (split from ``inputs``) lacks an input the model reads."""

    def split_inputs(self, inputs: Inputs) -> NamedInputs:
        """The dict of named inputs (``'img'`` included), checked by :meth:`check_inputs`."""
        named = inputs if isinstance(inputs, dict) else dict(img=inputs)
        self.check_inputs(named, inputs)
        return named

    def _named(self, inputs: Inputs) -> NamedInputs:
        """Inputs already split stay as they are; an image tensor is split."""
        return inputs if isinstance(inputs, dict) else self.split_inputs(inputs)

    def forward(self, inputs: Inputs, data_samples: Optional[List[SegDataSample]] = None,
                mode: str = 'tensor'):
        named = self.split_inputs(inputs)
        if mode == 'loss':
            return self.loss(named, data_samples)
        if mode == 'predict':
            return self.predict(named, data_samples)
        if mode == 'tensor':
            return self.encode_decode(named)['seg']
        raise ValueError(f"forward mode {mode!r}: expected 'loss', 'predict' or 'tensor'")

    def encode_decode(self, inputs: Inputs) -> Dict[str, torch.Tensor]:
        """The outputs at the input's size (:meth:`model_outputs`); speed options such as
        autocast and ``torch.compile`` wrap this method."""
        return self.model_outputs(self._named(inputs))

    def _logits_device(self, img: torch.Tensor) -> torch.device:
        """Where full-image outputs live: ``test_cfg.logits_device``, else the input's device."""
        device = self.test_cfg.get('logits_device')
        return torch.device(device) if device is not None else img.device

    def slide_inference(self, inputs: Inputs) -> Dict[str, torch.Tensor]:
        """Outputs from overlapping ``crop_size`` windows of every named input, averaged
        where they overlap."""
        named = self._named(inputs)
        img = named['img']
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
        """The outputs at the input size, whole or from sliding windows."""
        named = self._named(inputs)
        if self.test_cfg['mode'] == 'slide':
            return self.slide_inference(named)
        device = self._logits_device(named['img'])
        return {name: x.to(device) for name, x in self.encode_decode(named).items()}

    def predict(self, inputs: Inputs,
                data_samples: Optional[List[SegDataSample]] = None) -> List[SegDataSample]:
        """Predict class maps (and ``pred_edge`` with ``predict_edge``) at each image's
        original size."""
        named = self._named(inputs)
        img = named['img']
        if data_samples is None:
            data_samples = [SegDataSample(metainfo=dict(img_shape=img.shape[2:],
                                                        ori_shape=img.shape[2:]))
                            for _ in range(img.shape[0])]
        return self.postprocess_result(self.inference(named), data_samples)

    def postprocess_result(self, outputs: Dict[str, torch.Tensor],
                           data_samples: List[SegDataSample]) -> List[SegDataSample]:
        """Crop the padding, undo a test-time flip, resize to ``ori_shape``; argmax of
        ``'seg'`` (the sigmoid above ``test_cfg.threshold`` for one channel), and the
        ``'edge'`` probability with ``predict_edge``."""
        seg_logits = outputs['seg']
        edge = torch.sigmoid(outputs['edge']) if self.predict_edge else None
        for i, sample in enumerate(data_samples):
            logits = self._to_original(seg_logits[i:i + 1], sample)
            sample.seg_logits = PixelData(data=logits)
            sample.pred_sem_seg = PixelData(data=seg_labels(
                logits, dim=0, threshold=self.test_cfg.get('threshold', 0.5))[None])
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

    def merge_views(self, views: List[SegDataSample], average: str = 'softmax') -> SegDataSample:
        """One prediction from the post-processed predictions of an image's augmented views:
        their class probabilities (``average='softmax'``; the sigmoid for one channel) or raw
        logits (``'logits'``) averaged, then the argmax (one channel: above
        ``test_cfg.threshold``)."""
        total = None
        for view in views:
            logits = view.seg_logits.data
            scores = seg_probabilities(logits, dim=0) if average == 'softmax' else logits
            total = scores.clone() if total is None else total.add_(scores)
        mean = total / len(views)
        first = views[0]
        sample = SegDataSample(metainfo={k: first.metainfo[k] for k in KEPT_META_KEYS
                                         if k in first.metainfo})
        sample.seg_logits = PixelData(data=mean)
        threshold = self.test_cfg.get('threshold', 0.5)
        if mean.shape[0] == 1 and average == 'softmax':  # averaged sigmoid probabilities
            labels = (mean[0] > threshold).long()
        else:
            labels = seg_labels(mean, dim=0, threshold=threshold)
        sample.pred_sem_seg = PixelData(data=labels[None])
        if 'gt_sem_seg' in first:
            sample.gt_sem_seg = first.gt_sem_seg
        return sample
