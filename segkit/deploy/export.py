"""Export a config's segmentor to ONNX, check it and write the metadata inference needs."""
import os
import os.path as osp
import warnings
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config

from segkit.models.utils import fold_bn as fold_batch_norm
from segkit.utils.errors import ConfigError, DeployError

from .backends import OnnxRuntimeBackend, import_package
from .export_wrapper import ExportWrapper
from .metadata import model_fingerprint, write_metadata

OPSET = 17
MAX_RELATIVE_DIFFERENCE = 1e-4


def default_shape(cfg: Config) -> tuple:
    """The slide window for sliding-window configs, else the training crop size."""
    test_cfg = cfg.model.get('test_cfg') or {}
    if test_cfg.get('mode') == 'slide':
        return tuple(test_cfg['crop_size'])
    size = cfg.get('crop_size') or cfg.model.data_preprocessor.get('size')
    return tuple(size) if size else (512, 512)


def model_out_path(out: str, extension: str) -> str:
    """``out`` as the model file to write: ``extension`` (such as ``'.onnx'``) is appended
    when it has none, so tools later recognise it as an exported model, not a checkpoint;
    another extension is a :class:`ConfigError`."""
    given = osp.splitext(out)[1]
    if not given:
        return out + extension
    if given.lower() != extension:
        raise ConfigError(f'--out {out}: expected a {extension} file (tools tell exported '
                          f'models from checkpoints by the extension); e.g. --out '
                          f'{osp.splitext(out)[0]}{extension}')
    return out


def export_onnx(model: torch.nn.Module, out: str, shape: Optional[Sequence[int]] = None,
                dynamic: bool = False, fold_bn: bool = True, dynamo: bool = False,
                config_name: Optional[str] = None) -> dict:
    """Export ``model`` (from :func:`segkit.apis.init_model`) to ``out`` and check it.

    The file takes a batch of any size; with ``dynamic`` also any height and width (else
    ``shape``). ``onnx.checker`` validates it, and ONNX Runtime's logits are compared with
    PyTorch's on random inputs (at a second size too when ``dynamic``): a relative
    difference (max abs difference / max abs logit) above 1e-4 fails.

    Args:
        model: an eval-mode segmentor with ``cfg`` and ``dataset_meta``; it is changed
            in place when ``fold_bn``.
        out: the .onnx path; the metadata goes to ``out + '.json'``.
        shape: ``(H, W)`` of the export (default: :func:`default_shape`).
        dynamic: dynamic height and width.
        fold_bn: fold BatchNorm into the convs before export.
        dynamo: use the ``torch.export``-based exporter instead of the TorchScript one.
        config_name: the config's path, recorded in the metadata.

    Returns:
        The metadata written beside the file, with ``max_relative_difference``.
    """
    onnx = import_package('onnx', 'ONNX export')
    cfg = model.cfg
    shape = tuple(shape or default_shape(cfg))
    if len(shape) != 2 or min(shape) < 1:
        raise ConfigError(f'--shape {shape}: expected a positive height and width')
    model.eval()
    if fold_bn:
        fold_batch_norm(model)
    wrapper = ExportWrapper(model).eval()
    names = wrapper.input_names
    inputs = wrapper.example_inputs(1, *shape)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    axes = {0: 'batch', 2: 'height', 3: 'width'} if dynamic else {0: 'batch'}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore')  # TracerWarnings on shape arithmetic
        if dynamo:
            dim = torch.export.Dim
            dims = {0: dim('batch')}
            if dynamic:
                dims.update({2: dim('height', min=32), 3: dim('width', min=32)})
            torch.onnx.export(wrapper, inputs, out, input_names=list(names),
                              output_names=['seg'], opset_version=OPSET, dynamo=True,
                              external_data=False,
                              dynamic_shapes=(tuple(dims for _ in names),))  # *inputs
        else:
            torch.onnx.export(wrapper, inputs, out, input_names=list(names),
                              output_names=['seg'], opset_version=OPSET, dynamo=False,
                              dynamic_axes={name: axes for name in (*names, 'seg')})
    onnx.checker.check_model(out, full_check=True)
    sizes = [shape, (shape[0] + 32, shape[1] - 16 if shape[1] > 48 else shape[1] + 16)]
    difference = max(_relative_difference(wrapper, out, size, seed)
                     for seed, size in enumerate(sizes[:2 if dynamic else 1]))
    preprocessor = cfg.model.data_preprocessor
    meta = dict(
        config=config_name or cfg.filename, fingerprint=model_fingerprint(cfg),
        input_names=list(names), input_shape=None if dynamic else list(shape),
        num_classes=model.num_classes, align_corners=model.align_corners,
        classes=list(model.dataset_meta.get('classes', ())),
        palette=[list(c) for c in model.dataset_meta['palette']],
        mean=list(preprocessor.get('mean', ())), std=list(preprocessor.get('std', ())),
        bgr_to_rgb=preprocessor.get('bgr_to_rgb', True),
        test_cfg=dict(cfg.model.get('test_cfg') or dict(mode='whole')),
        exporter='dynamo' if dynamo else 'torchscript', opset=OPSET, fold_bn=fold_bn,
        precision='fp32', max_relative_difference=difference)
    write_metadata(out, meta)
    if difference > MAX_RELATIVE_DIFFERENCE:
        raise DeployError(f'{out}: ONNX Runtime logits differ from PyTorch by {difference:.2e} '
                          f'(relative), above {MAX_RELATIVE_DIFFERENCE:g}; the file is kept for '
                          'inspection, do not deploy it')
    return meta


def _relative_difference(wrapper: ExportWrapper, model_file: str, shape: Sequence[int],
                         seed: int) -> float:
    """Max abs difference of ONNX Runtime's and PyTorch's logits / max abs PyTorch logit."""
    inputs = wrapper.example_inputs(1, *shape, seed=seed)
    with torch.no_grad():
        expected = wrapper(*inputs).numpy()
    feeds = {name: t.numpy() for name, t in zip(wrapper.input_names, inputs)}
    actual = OnnxRuntimeBackend(model_file)(feeds)
    if actual.shape != expected.shape:
        raise DeployError(f'{model_file}: ONNX Runtime gives logits of shape {actual.shape}, '
                          f'PyTorch {expected.shape}')
    return float(np.abs(actual - expected).max() / max(np.abs(expected).max(), 1e-12))
