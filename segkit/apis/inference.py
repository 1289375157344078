"""Predict class maps for images from Python: init_model and inference_model."""
import copy
import logging
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.logging import print_log
from mmengine.model import BaseTTAModel
from PIL import Image
from torch import nn

from segkit.config import load_config
from segkit.deploy import deployed_model_cfg, is_deployed_model
from segkit.registry import DATASETS, MODELS, register_all_modules
from segkit.checkpoint import load_model_weights
from segkit.utils.errors import ConfigError, DataError

from .optimize import optimize_for_inference, refuse_for_exported_model, resolve_speed_options

ImageInput = Union[str, np.ndarray, Image.Image]
Prediction = Union[np.ndarray, Tuple[np.ndarray, np.ndarray]]
PALETTE_SEED = 42  # colours for datasets that define no palette
CHANNEL_ORDERS = ('bgr', 'rgb')


def init_model(config: Union[str, Config], checkpoint: Optional[str] = None,
               device: str = 'cpu', cfg_options: Optional[dict] = None,
               fold_bn: bool = False, channels_last: bool = False,
               compile: bool = False, precision: Optional[str] = None, fast: bool = False,
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
        checkpoint: weights file, e.g. ``work_dirs/quickstart/iter_1500.pth``, or URL
            (``http(s)://``, ``open-mmlab://``, downloaded once into the torch hub cache;
            MMSegmentation model-zoo checkpoints load directly), or an exported ``.onnx``
            model.
        device: 'cpu', 'cuda' or 'cuda:N'.
        cfg_options: ``{dotted.key: value}`` overrides, e.g. ``{'model.test_cfg.mode': 'slide'}``.
        fold_bn, channels_last, compile, precision, fast: speed options, resolved by
            :func:`segkit.apis.optimize.resolve_speed_options` as ``tools/test.py`` does
            (``fast``: precision 'auto' unless ``precision`` is given, channels-last and
            BN folded) and applied by :func:`segkit.apis.optimize.optimize_for_inference`.
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
        refuse_for_exported_model(checkpoint, precision=precision, fast=fast,
                                  channels_last=channels_last, fold_bn=fold_bn, compile=compile)
        return _init_deployed_model(cfg, checkpoint, device, backend)
    model = MODELS.build(cfg.model)
    if checkpoint is None:
        print_log('init_model: no checkpoint given, the model has random weights',
                  logger='current', level=logging.WARNING)
    else:
        load_model_weights(model, checkpoint)
    model.cfg = cfg
    model.dataset_meta = dataset_metainfo(cfg)
    options = resolve_speed_options(precision=precision, fast=fast, channels_last=channels_last,
                                    fold_bn=fold_bn, compile=compile)
    return optimize_for_inference(model.to(device), **options._asdict())


def _init_deployed_model(cfg: Config, model_file: str, device: torch.device,
                         backend: str) -> nn.Module:
    if device.type != 'cpu':
        raise ConfigError(f"{model_file}: an exported model runs on the CPU with its own "
                          f"runtime; use device='cpu', not {str(device)!r}")
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


def inference_pipeline(cfg: Config, from_array: bool = False, tta: bool = False) -> Compose:
    """The config's test pipeline (``tta_pipeline`` with ``tta``) without ``LoadAnnotations``.

    With ``from_array`` the image comes as ``results['img']`` (``LoadImageFromNDArray``)
    instead of being read from ``results['img_path']``.
    """
    key = 'tta_pipeline' if tta else 'test_dataloader.dataset.pipeline'
    steps = cfg.tta_pipeline if tta else _test_dataset_cfg(cfg).get('pipeline', ())
    pipeline = [_without_annotations(t) for t in steps if t['type'] != 'LoadAnnotations']
    if not pipeline or pipeline[0]['type'] != 'LoadImageFromFile':
        raise ConfigError(f'{cfg.filename}: {key} must start with LoadImageFromFile, got '
                          f"{[t['type'] for t in pipeline[:1]]}")
    if from_array:  # arrays as the config's files load: 8-bit BGR, or unchanged
        unchanged = pipeline[0].get('color_type', 'color') != 'color'
        pipeline[0] = dict(type='LoadImageFromNDArray',
                           color_type='unchanged' if unchanged else 'color')
    return Compose(pipeline)


def _without_annotations(transform: dict) -> dict:
    """``transform``, or a ``TestTimeAug`` without its ``LoadAnnotations`` steps."""
    if transform['type'] != 'TestTimeAug':
        return dict(transform)
    groups = [[t for t in group if t['type'] != 'LoadAnnotations']
              for group in transform['transforms']]
    return dict(transform, transforms=[group for group in groups if group])


def check_tta_cfg(cfg: Config, option: str = 'tta=True') -> None:
    """Fail, naming ``option``, when the config lacks ``tta_model`` or ``tta_pipeline``."""
    for key in ('tta_model', 'tta_pipeline'):
        if not cfg.get(key):
            raise ConfigError(f'{option}: {cfg.filename} has no {key} (the dataset base configs '
                              'under configs/_base_/datasets define tta_pipeline, '
                              'default_runtime.py tta_model)')


def tta_model(model: nn.Module) -> BaseTTAModel:
    """``model`` (from :func:`init_model`) in the config's ``tta_model`` (``SegTTAModel``),
    which averages its predictions over the views of ``tta_pipeline``, as
    ``tools/test.py --tta`` does; it keeps ``cfg`` and ``dataset_meta``."""
    check_tta_cfg(model.cfg)
    wrapped = MODELS.build(dict(model.cfg.tta_model, module=model)).eval()
    wrapped.cfg, wrapped.dataset_meta = model.cfg, model.dataset_meta
    return wrapped


def as_loaded_image(image: ImageInput, channel_order: str = 'bgr') -> ImageInput:
    """``image`` as the test pipeline takes it: a path unchanged; an array in the BGR order
    of ``LoadImageFromFile`` (a 3-channel one reversed when ``channel_order`` is 'rgb'); a
    PIL image (RGB, or converted to RGB) as a BGR array."""
    if channel_order not in CHANNEL_ORDERS:
        raise ConfigError(f'channel_order {channel_order!r}: expected one of {CHANNEL_ORDERS} '
                          '(the order of colour channels in image arrays)')
    if isinstance(image, Image.Image):
        return np.ascontiguousarray(np.asarray(image.convert('RGB'))[..., ::-1])
    if isinstance(image, np.ndarray) and channel_order == 'rgb' and image.ndim == 3 \
            and image.shape[2] == 3:  # colour order means nothing for other channel counts
        return np.ascontiguousarray(image[..., ::-1])
    return image


def inference_model(model: nn.Module, images: Union[ImageInput, Sequence[ImageInput]],
                    return_logits: bool = False, tta: bool = False,
                    channel_order: str = 'bgr') -> Union[Prediction, List[Prediction]]:
    """Predict the class map of one image or a batch, at each image's original size.

    Args:
        model: a segmentor from :func:`init_model`, or one wrapped by :func:`tta_model`.
        images: an image path, an ``(H, W, 3)`` uint8 array or a PIL image, or a list of
            them (one forward pass for the whole list).
        return_logits: also return the ``(num_classes, H, W)`` float32 logits (with
            ``tta``, the averaged class probabilities).
        tta: test-time augmentation: the config's ``tta_pipeline`` (scales and flips)
            and ``tta_model``; the predictions of ``tools/test.py --tta``.
        channel_order: 'bgr' (as from ``cv2.imread``) or 'rgb' (as from PIL, imageio or
            matplotlib): the order of the arrays' colour channels. Paths are read in the
            config's order and PIL images are RGB, whatever this says.

    Returns:
        For one image, its ``(H, W)`` int64 class map, or ``(class_map, logits)`` with
        ``return_logits``; for a list, a list of those.
    """
    single = isinstance(images, (str, Image.Image)) or (
        isinstance(images, np.ndarray) and images.ndim != 4)
    items = [as_loaded_image(item, channel_order) for item in ([images] if single else images)]
    if not items:
        return []
    if tta and not isinstance(model, BaseTTAModel):
        model = tta_model(model)
    pipelines = {}
    data = []
    for item in items:
        if isinstance(item, str):
            results, from_array = dict(img_path=item), False
        elif isinstance(item, np.ndarray):
            results, from_array = dict(img=item), True
        else:
            raise DataError('images must be a path, an (H, W, 3) uint8 array or a PIL image, '
                            f'or a list of them; got {type(item).__name__}')
        if from_array not in pipelines:
            pipelines[from_array] = inference_pipeline(
                model.cfg, from_array=from_array, tta=isinstance(model, BaseTTAModel))
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
