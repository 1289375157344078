from .test import run_test
from .train import run_train

__all__ = ['run_train', 'run_test']
