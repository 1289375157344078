"""Deployment: ONNX export, ONNX Runtime and OpenVINO inference, int8 quantization."""
from .backends import BACKENDS, load_backend
from .deployed_segmentor import DeployedSegmentor, deployed_model_cfg, is_deployed_model
from .export import export_onnx
from .metadata import read_metadata

__all__ = ['BACKENDS', 'DeployedSegmentor', 'deployed_model_cfg', 'export_onnx',
           'is_deployed_model', 'load_backend', 'read_metadata']
