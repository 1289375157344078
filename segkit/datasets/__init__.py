from .base_seg_dataset import BaseSegDataset
from .cityscapes_dataset import CityscapesDataset
from .demo_dataset import DemoDataset
from .pascal_voc_dataset import PascalVOCDataset
from .transforms import *  # noqa: F401,F403

__all__ = ['BaseSegDataset', 'PascalVOCDataset', 'CityscapesDataset', 'DemoDataset']
