"""DemoDataset: the built-in demo data, generated on first use, read as PASCAL VOC."""
import torch.distributed as dist

from segkit.registry import DATASETS

from .demo_data import DEMO_CLASSES, DEMO_PALETTE, prepare_demo_data
from .pascal_voc_dataset import PascalVOCDataset


@DATASETS.register_module()
class DemoDataset(PascalVOCDataset):
    """Textured shapes in the PASCAL VOC layout (``data/demo``), made if missing.

    The files are generated deterministically (see :func:`prepare_demo_data`) by rank 0
    while other ranks wait, then read by :class:`PascalVOCDataset`'s code. Classes are
    told apart by texture, not colour or shape.

    Args:
        data_root: where the data lives (generated there if absent).
        ann_file: split list, ``ImageSets/Segmentation/{train,val}.txt``.
        num_train: training images to generate.
        num_val: validation images to generate.
        image_size: side of the square images.
        **kwargs: the arguments of :class:`BaseSegDataset`.
    """

    METAINFO = dict(classes=DEMO_CLASSES, palette=DEMO_PALETTE)

    def __init__(self, data_root: str = 'data/demo', ann_file: str = '',
                 num_train: int = 300, num_val: int = 60, image_size: int = 128, **kwargs):
        distributed = dist.is_available() and dist.is_initialized()
        if not distributed or dist.get_rank() == 0:
            prepare_demo_data(root=data_root, num_train=num_train, num_val=num_val,
                              size=image_size)
        if distributed:
            dist.barrier()
        super().__init__(data_root=data_root, ann_file=ann_file, **kwargs)
