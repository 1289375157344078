"""Deployment: ONNX export, ONNX Runtime and OpenVINO inference, int8 quantization."""
from .backends import BACKENDS, load_backend
from .deployed_segmentor import DeployedSegmentor
from .export import export_onnx
from .metadata import read_metadata

__all__ = ['BACKENDS', 'DeployedSegmentor', 'export_onnx', 'load_backend', 'read_metadata']
