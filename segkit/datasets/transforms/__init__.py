"""Data transforms; MMCV's Resize, RandomResize, RandomFlip and TestTimeAug registered here."""
from mmcv.transforms import RandomFlip, RandomResize, Resize, TestTimeAug

from segkit.registry import TRANSFORMS

from .generate_edge import GenerateEdge
from .load_annotations import LoadAnnotations
from .load_image_from_file import LoadImageFromFile
from .load_image_from_ndarray import LoadImageFromNDArray
from .pack_seg_inputs import PackSegInputs
from .photo_metric_distortion import PhotoMetricDistortion
from .random_crop import RandomCrop

for _transform in (Resize, RandomResize, RandomFlip, TestTimeAug):
    TRANSFORMS.register_module(module=_transform)

__all__ = ['LoadImageFromFile', 'LoadImageFromNDArray', 'LoadAnnotations', 'RandomCrop',
           'PhotoMetricDistortion', 'PackSegInputs', 'Resize', 'RandomResize', 'RandomFlip',
           'TestTimeAug', 'GenerateEdge']
