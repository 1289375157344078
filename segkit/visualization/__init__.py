from .drawing import overlay, prediction_panel, save_label_png
from .palette import colorize

__all__ = ['colorize', 'overlay', 'prediction_panel', 'save_label_png']
