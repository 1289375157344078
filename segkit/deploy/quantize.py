"""Static int8 post-training quantization of an exported model, calibrated on real images."""
import logging
import os.path as osp
import tempfile
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from segkit.registry import DATASETS, MODELS
from segkit.utils.errors import ConfigError, DeployError

from .backends import import_package
from .deployed_segmentor import deployed_model_cfg
from .metadata import read_metadata, write_metadata

QUANT_FORMATS = ('qdq', 'qoperator')
CALIBRATION_METHODS = ('minmax', 'entropy', 'percentile')


class _RecordingBackend:
    """Runs a backend and keeps every input it was given."""

    def __init__(self, backend):
        self.backend = backend
        self.feeds: List[Dict[str, np.ndarray]] = []

    def __call__(self, feeds: Dict[str, np.ndarray]) -> np.ndarray:
        self.feeds.append(feeds)
        return self.backend(feeds)


def calibration_feeds(cfg: Config, model_file: str, num_images: int,
                      config_name: Optional[str] = None) -> List[Dict[str, np.ndarray]]:
    """The model inputs of ``num_images`` validation images, spread evenly over the set.

    Each image goes through the test pipeline, the data preprocessor and the test mode
    (sliding windows too), so calibration sees what inference will feed the model.
    """
    if num_images < 1:
        raise ConfigError(f'--calib {num_images}: expected at least 1 image')
    loader = cfg.get('val_dataloader') or cfg.get('test_dataloader')
    dataset_cfg = dict(loader['dataset'])
    test_pipeline = cfg.test_dataloader.dataset.get('pipeline')
    if test_pipeline is not None:
        dataset_cfg['pipeline'] = test_pipeline
    dataset = DATASETS.build(dataset_cfg)
    if len(dataset) == 0:
        raise ConfigError(f'{config_name or cfg.filename}: the validation set is empty; '
                          'calibration needs its images')
    segmentor = MODELS.build(deployed_model_cfg(cfg, model_file, config_name=config_name))
    recorder = _RecordingBackend(segmentor.backend)
    segmentor.backend = recorder
    count = min(num_images, len(dataset))
    for index in np.linspace(0, len(dataset) - 1, count).round().astype(int):
        segmentor.test_step(pseudo_collate([dataset[int(index)]]))
    return recorder.feeds


QUANT_TOOLS = ('onnxruntime', 'nncf')


def quantize_onnx(cfg: Config, model_file: str, out: str, num_images: int = 16,
                  tool: str = 'onnxruntime', config_name: Optional[str] = None,
                  **options) -> dict:
    """Quantize ``model_file`` to int8 into ``out``, calibrated on ``num_images`` validation
    images (:func:`calibration_feeds`); the metadata is copied beside ``out`` with the
    quantization settings.

    ``tool='onnxruntime'`` writes an int8 .onnx (QDQ or QOperator) for both runtimes,
    ``'nncf'`` an OpenVINO IR ``.xml`` for the openvino backend only.

    Args:
        cfg: the config the model was exported from.
        model_file: the fp32 .onnx file.
        out: the int8 .onnx file.
        num_images: calibration images from the validation set.
        tool: 'onnxruntime' (:func:`quantize_with_feeds`) or 'nncf'
            (:func:`quantize_with_nncf`).
        config_name: the config's path, for messages.
        **options: of :func:`quantize_with_feeds` (onnxruntime only).
    """
    if tool not in QUANT_TOOLS:
        raise ConfigError(f'--tool {tool!r}: expected one of {QUANT_TOOLS}')
    meta = read_metadata(model_file, cfg, config_name=config_name)
    if meta.get('precision') != 'fp32':
        raise DeployError(f"{model_file} is already {meta.get('precision')}; quantize the fp32 "
                          'model from tools/deploy/export.py')
    feeds = calibration_feeds(cfg, model_file, num_images, config_name=config_name)
    if tool == 'nncf':
        settings = quantize_with_nncf(model_file, out, feeds)
    else:
        settings = quantize_with_feeds(model_file, out, feeds, **options)
    meta = dict(meta, precision='int8', max_relative_difference=None, quantization=dict(
        settings, calibration_images=min(num_images, len(feeds)),
        calibration_inputs=len(feeds)))
    write_metadata(out, meta)
    return meta


def quantize_with_feeds(model_file: str, out: str, feeds: List[Dict[str, np.ndarray]],
                        per_channel: bool = True, reduce_range: bool = False,
                        quant_format: str = 'qdq', method: str = 'minmax',
                        op_types: Optional[Sequence[str]] = None) -> dict:
    """ONNX Runtime static int8 quantization of ``model_file`` with scales from ``feeds``.

    Activations are uint8, weights int8 (symmetric). Returns the settings.

    Args:
        model_file: the fp32 .onnx file.
        out: the int8 .onnx file.
        feeds: calibration inputs, ``{input name: array}`` each.
        per_channel: one weight scale per output channel.
        reduce_range: 7-bit weights, which avoids overflow in the uint8 x int8 products of
            CPUs without VNNI (AVX2).
        quant_format: 'qdq' (QuantizeLinear/DequantizeLinear pairs) or 'qoperator'
            (QLinearConv etc.; ONNX Runtime only, OpenVINO cannot read them).
        method: activation range estimation: 'minmax', 'entropy' or 'percentile'.
        op_types: quantize only these ONNX op types (default: all that ONNX Runtime can).
    """
    import_package('onnxruntime', 'int8 quantization')
    from onnxruntime import quantization
    from onnxruntime.quantization.shape_inference import quant_pre_process
    if quant_format not in QUANT_FORMATS:
        raise ConfigError(f'--format {quant_format!r}: expected one of {QUANT_FORMATS}')
    if method not in CALIBRATION_METHODS:
        raise ConfigError(f'--method {method!r}: expected one of {CALIBRATION_METHODS}')

    class Reader(quantization.CalibrationDataReader):
        def __init__(self):
            self.items = iter(feeds)

        def get_next(self):
            return next(self.items, None)

    with tempfile.TemporaryDirectory() as tmp:
        prepared = osp.join(tmp, 'prepared.onnx')
        quant_pre_process(model_file, prepared)
        quantization.quantize_static(
            prepared, out, Reader(),
            quant_format=(quantization.QuantFormat.QDQ if quant_format == 'qdq'
                          else quantization.QuantFormat.QOperator),
            per_channel=per_channel, reduce_range=reduce_range,
            activation_type=quantization.QuantType.QUInt8,
            weight_type=quantization.QuantType.QInt8,
            op_types_to_quantize=list(op_types) if op_types else None,
            calibrate_method={'minmax': quantization.CalibrationMethod.MinMax,
                              'entropy': quantization.CalibrationMethod.Entropy,
                              'percentile': quantization.CalibrationMethod.Percentile}[method],
            extra_options=dict(WeightSymmetric=True, ActivationSymmetric=False))
    return dict(tool='onnxruntime', per_channel=per_channel, reduce_range=reduce_range,
                format=quant_format, method=method, op_types=list(op_types or ()))


def quantize_with_nncf(model_file: str, out: str, feeds: List[Dict[str, np.ndarray]]) -> dict:
    """OpenVINO int8 quantization of ``model_file`` by NNCF, scales from ``feeds``; writes
    OpenVINO IR ``out`` (.xml, weights in the .bin beside it). Returns the settings."""
    ov = import_package('openvino', 'OpenVINO int8 quantization')
    cuda_log = logging.getLogger('torch.utils.cpp_extension')
    level = cuda_log.level
    cuda_log.setLevel(logging.ERROR)  # NNCF's import logs that there is no CUDA
    try:
        nncf = import_package('nncf', 'OpenVINO int8 quantization')
    finally:
        cuda_log.setLevel(level)
    if not out.lower().endswith('.xml'):
        raise ConfigError(f'{out}: NNCF writes OpenVINO IR; name the output NAME.xml')
    quantized = nncf.quantize(ov.Core().read_model(model_file), nncf.Dataset(feeds),
                              subset_size=len(feeds))
    ov.save_model(quantized, out)
    return dict(tool='nncf', preset='performance')
