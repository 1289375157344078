from .drawing import overlay, prediction_panel, save_label_png
from .palette import colorize, voc_palette

__all__ = ['colorize', 'voc_palette', 'overlay', 'prediction_panel', 'save_label_png']
