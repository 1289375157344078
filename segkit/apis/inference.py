"""Predict class maps for images from Python: init_model and inference_model."""
import copy
import logging
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.logging import print_log
from torch import nn

from segkit.config import load_config
from segkit.deploy import deployed_model_cfg, is_deployed_model
from segkit.registry import DATASETS, MODELS, register_all_modules
from segkit.checkpoint import load_model_weights
from segkit.utils.errors import ConfigError, DataError

from .optimize import FAST, optimize_for_inference

ImageInput = Union[str, np.ndarray]
Prediction = Union[np.ndarray, Tuple[np.ndarray, np.ndarray]]
PALETTE_SEED = 42  # colours for datasets that define no palette


def init_model(config: Union[str, Config], checkpoint: Optional[str] = None,
               device: str = 'cpu', cfg_options: Optional[dict] = None,
               fuse_conv_bn: bool = False, channels_last: bool = False,
               compile: bool = False, precision: str = 'fp32', fast: bool = False,
               backend: str = 'onnxruntime') -> nn.Module:
    """Build the config's segmentor in eval mode on ``device`` and load ``checkpoint``.

    The checkpoint must fit the model exactly (no missing or unexpected keys). Without one
    the weights are random, which is logged. A ``.onnx`` checkpoint (from
    ``tools/deploy/export.py`` or ``quantize.py``) gives a
    :class:`segkit.deploy.DeployedSegmentor` run by ``backend`` on the CPU. The model gets
    ``cfg`` (the config) and ``dataset_meta`` (``classes`` and ``palette`` of the config's
    test dataset).

    Args:
        config: config file path, or a loaded Config.
        checkpoint: weights file, e.g. ``work_dirs/quickstart/iter_1500.pth``, or an
            exported ``.onnx`` model.
        device: 'cpu', 'cuda' or 'cuda:N'.
        cfg_options: ``{dotted.key: value}`` overrides, e.g. ``{'model.test_cfg.mode': 'slide'}``.
        fuse_conv_bn, channels_last, compile, precision: speed options, see
            :func:`segkit.apis.optimize.optimize_for_inference`.
        fast: the fastest options that keep the accuracy on ``device`` (precision 'auto',
            channels-last, BN folded), as ``tools/test.py --fast``.
        backend: runtime of a ``.onnx`` checkpoint: 'onnxruntime' or 'openvino'.
    """
    register_all_modules()
    if isinstance(config, str):
        cfg = load_config(config, cfg_options=cfg_options)
    else:
        cfg = copy.deepcopy(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
    try:
        device = torch.device(device)
    except RuntimeError:
        raise ConfigError(f"device {device!r}: expected 'cpu', 'cuda' or 'cuda:N'") from None
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise ConfigError(f"device {str(device)!r}: CUDA is not available here; use 'cpu'")
    if is_deployed_model(checkpoint):
        return _init_deployed_model(cfg, checkpoint, device, backend,
                                    fuse_conv_bn or channels_last or compile or fast
                                    or precision != 'fp32')
    model = MODELS.build(cfg.model)
    if checkpoint is None:
        print_log('init_model: no checkpoint given, the model has random weights',
                  logger='current', level=logging.WARNING)
    else:
        load_model_weights(model, checkpoint)
    model.cfg = cfg
    model.dataset_meta = dataset_metainfo(cfg)
    options = dict(fuse_conv_bn=fuse_conv_bn, channels_last=channels_last, compile=compile,
                   precision=precision)
    return optimize_for_inference(model.to(device), **(dict(options, **FAST) if fast else options))


def _init_deployed_model(cfg: Config, model_file: str, device: torch.device, backend: str,
                         speed_options: bool) -> nn.Module:
    if device.type != 'cpu' or speed_options:
        raise ConfigError(f'{model_file}: an exported model runs on the CPU with its own '
                          "runtime; use device='cpu' without fuse_conv_bn, channels_last, "
                          'compile, precision or fast')
    model = MODELS.build(deployed_model_cfg(cfg, model_file, backend))
    model.cfg = cfg
    model.dataset_meta = dataset_metainfo(cfg)
    return model.eval()


def dataset_metainfo(cfg: Config) -> dict:
    """``classes`` and ``palette`` of the config's test dataset, without reading its files.

    The dataset class's ``METAINFO``, updated by the config's ``metainfo`` when set; classes
    without a palette get fixed random colours.
    """
    dataset = _test_dataset_cfg(cfg)
    dataset_type = dataset['type']
    cls = dataset_type if isinstance(dataset_type, type) else DATASETS.get(dataset_type)
    meta = dict(getattr(cls, 'METAINFO', None) or {})
    meta.update(dataset.get('metainfo') or {})
    if not meta.get('palette'):
        rng = np.random.default_rng(PALETTE_SEED)
        meta['palette'] = rng.integers(0, 256, (len(meta.get('classes', ())), 3)).tolist()
    return meta


def inference_pipeline(cfg: Config, from_array: bool = False) -> Compose:
    """The config's test pipeline without ``LoadAnnotations``.

    With ``from_array`` the image comes as ``results['img']`` (``LoadImageFromNDArray``)
    instead of being read from ``results['img_path']``.
    """
    pipeline = [dict(t) for t in _test_dataset_cfg(cfg).get('pipeline', ())
                if t['type'] != 'LoadAnnotations']
    if not pipeline or pipeline[0]['type'] != 'LoadImageFromFile':
        raise ConfigError(f'{cfg.filename}: test_dataloader.dataset.pipeline must start with '
                          f"LoadImageFromFile, got {[t['type'] for t in pipeline[:1]]}")
    if from_array:
        pipeline[0] = dict(type='LoadImageFromNDArray')
    return Compose(pipeline)


def inference_model(model: nn.Module, images: Union[ImageInput, Sequence[ImageInput]],
                    return_logits: bool = False) -> Union[Prediction, List[Prediction]]:
    """Predict the class map of one image or a batch, at each image's original size.

    Args:
        model: a segmentor from :func:`init_model`.
        images: an image path or an ``(H, W, 3)`` BGR uint8 array (as from ``cv2.imread``),
            or a list of them (one forward pass for the whole list).
        return_logits: also return the ``(num_classes, H, W)`` float32 logits.

    Returns:
        For one image, its ``(H, W)`` int64 class map, or ``(class_map, logits)`` with
        ``return_logits``; for a list, a list of those.
    """
    single = isinstance(images, str) or (isinstance(images, np.ndarray) and images.ndim != 4)
    items = [images] if single else list(images)
    if not items:
        return []
    pipelines = {}
    data = []
    for item in items:
        if isinstance(item, str):
            results, from_array = dict(img_path=item), False
        elif isinstance(item, np.ndarray):
            results, from_array = dict(img=item), True
        else:
            raise DataError('images must be a path or an (H, W, 3) BGR uint8 array, or a list '
                            f'of them; got {type(item).__name__}')
        if from_array not in pipelines:
            pipelines[from_array] = inference_pipeline(model.cfg, from_array=from_array)
        data.append(pipelines[from_array](results))
    with torch.no_grad():
        samples = model.test_step(pseudo_collate(data))
    outputs = []
    for sample in samples:
        label = sample.pred_sem_seg.data[0].cpu().numpy()
        outputs.append((label, sample.seg_logits.data.float().cpu().numpy())
                       if return_logits else label)
    return outputs[0] if single else outputs


def _test_dataset_cfg(cfg: Config) -> dict:
    """The dataset of ``test_dataloader``; the first one of a ConcatDataset."""
    dataset = cfg.get('test_dataloader', {}).get('dataset')
    while isinstance(dataset, dict) and 'datasets' in dataset:
        dataset = dataset['datasets'][0]
    if not isinstance(dataset, dict) or 'type' not in dataset:
        raise ConfigError(f'{cfg.filename}: inference needs test_dataloader.dataset (its '
                          'pipeline and class names)')
    return dataset
