"""Dataset converters behind tools/dataset_converters/: official downloads -> segkit layout."""
from .cityscapes import convert_cityscapes
from .voc_aug import convert_voc_aug

__all__ = ['convert_voc_aug', 'convert_cityscapes']
