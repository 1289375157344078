from .display import display_rgb, read_display_image
from .drawing import overlay, prediction_panel, save_label_png
from .palette import colorize, voc_palette

__all__ = ['display_rgb', 'read_display_image', 'colorize', 'voc_palette', 'overlay',
           'prediction_panel', 'save_label_png']
