"""Benchmarks that time variants side by side in one process and report ratios."""
from .data_pipeline import benchmark_data_pipeline
from .inference import INFERENCE_MODES, benchmark_inference, select_modes
from .timing import interleaved_times
from .training import benchmark_training

__all__ = ['INFERENCE_MODES', 'select_modes', 'benchmark_inference', 'benchmark_training',
           'benchmark_data_pipeline', 'interleaved_times']
