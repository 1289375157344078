"""Analysis behind tools/analysis/: training curves, confusion matrices, model complexity."""
from .complexity import model_complexity
from .confusion_matrix import (build_test_dataset, confusion_matrix, normalize_rows,
                               pairs_from_checkpoint, pairs_from_predictions,
                               plot_confusion_matrix)
from .dataset_samples import augmented_samples
from .log_curves import find_scalar_files, load_scalars, plot_curves, series

__all__ = ['find_scalar_files', 'load_scalars', 'series', 'plot_curves', 'confusion_matrix',
           'normalize_rows', 'build_test_dataset', 'pairs_from_predictions',
           'pairs_from_checkpoint', 'plot_confusion_matrix', 'model_complexity',
           'augmented_samples']
