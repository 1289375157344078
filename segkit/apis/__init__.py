from .inference import inference_model, init_model
from .seg_inferencer import SegInferencer
from .test import run_test
from .train import run_train

__all__ = ['run_train', 'run_test', 'init_model', 'inference_model', 'SegInferencer']
