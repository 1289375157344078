"""Runtimes for exported models: ONNX Runtime and OpenVINO, loaded on demand."""
import importlib
import os.path as osp
from importlib import metadata
from typing import Dict, Optional

import numpy as np
import torch
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from segkit.utils.errors import DeployError

BACKENDS = ('onnxruntime', 'openvino')


def install_hint(name: str) -> str:
    """The pip command that installs package ``name`` as segkit's ``deploy`` extra requires
    it (pyproject.toml); all of the extra, from the checkout, when segkit's metadata is not
    installed."""
    try:
        requires = metadata.requires('segkit') or []
    except metadata.PackageNotFoundError:
        requires = []
    for line in requires:
        requirement = Requirement(line)
        if canonicalize_name(requirement.name) == canonicalize_name(name) and \
                requirement.marker is not None and requirement.marker.evaluate({'extra': 'deploy'}):
            return f"pip install '{requirement.name}{requirement.specifier}'"
    return "pip install -e '.[deploy]' (in the segkit checkout)"


def import_package(name: str, purpose: str):
    """Import ``name``, or fail with the pip command that installs it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise DeployError(f'{purpose} needs the {name} package, which is not installed: '
                          f'{install_hint(name)}') from None


def _threads(num_threads: Optional[int]) -> int:
    """Threads of a runtime: as many as PyTorch uses (OMP_NUM_THREADS), unless given."""
    return num_threads or torch.get_num_threads()


class OnnxRuntimeBackend:
    """An ONNX Runtime CPU session with all graph optimizations.

    Args:
        model_file: the .onnx file.
        num_threads: intra-op threads; PyTorch's thread count by default.
    """

    def __init__(self, model_file: str, num_threads: Optional[int] = None):
        ort = import_package('onnxruntime', 'the onnxruntime backend')
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = _threads(num_threads)
        options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(model_file, options,
                                                providers=['CPUExecutionProvider'])
        except Exception as e:  # ORT raises its own exception types for unreadable files
            raise DeployError(f'{model_file}: ONNX Runtime cannot load it '
                              f'({_first_line(e)}); export it again with '
                              'tools/deploy/export.py') from None

    def __call__(self, feeds: Dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(None, feeds)[0]


class OpenVINOBackend:
    """An OpenVINO CPU model compiled for latency, in fp32 (no bf16 down-conversion).

    Args:
        model_file: an .onnx file or OpenVINO IR (.xml beside its .bin).
        num_threads: inference threads; PyTorch's thread count by default.
    """

    def __init__(self, model_file: str, num_threads: Optional[int] = None):
        ov = import_package('openvino', 'the openvino backend')
        core = ov.Core()
        weights = osp.splitext(model_file)[0] + '.bin'
        if model_file.lower().endswith('.xml') and not osp.isfile(weights):
            raise DeployError(f'{weights}: no such file; the OpenVINO model {model_file} keeps '
                              'its weights there: copy the .bin along with the .xml, or export '
                              'again')
        try:
            if model_file.lower().endswith('.onnx'):
                # else OpenVINO tries every frontend on a broken file, logging each failure
                import_package('onnx', 'the openvino backend').load(model_file)
            model = core.read_model(model_file)
        except Exception as e:  # protobuf and OpenVINO errors
            raise DeployError(f'{model_file}: OpenVINO cannot read it ({_first_line(e)}); '
                              'export it again with tools/deploy/export.py') from None
        self.compiled = core.compile_model(model, 'CPU', {
            'PERFORMANCE_HINT': 'LATENCY', 'INFERENCE_NUM_THREADS': _threads(num_threads),
            'INFERENCE_PRECISION_HINT': 'f32'})
        self.request = self.compiled.create_infer_request()

    def __call__(self, feeds: Dict[str, np.ndarray]) -> np.ndarray:
        return self.request.infer(feeds)[0].copy()


def load_backend(model_file: str, backend: str = 'onnxruntime',
                 num_threads: Optional[int] = None):
    """A callable ``{input name: array} -> logits array`` running ``model_file``."""
    if backend not in BACKENDS:
        raise DeployError(f'backend {backend!r}: expected one of {BACKENDS}')
    cls = OnnxRuntimeBackend if backend == 'onnxruntime' else OpenVINOBackend
    return cls(model_file, num_threads=num_threads)


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines()
             if line.strip() and not line.startswith('Exception from ')]
    return lines[0][:200] if lines else type(error).__name__
