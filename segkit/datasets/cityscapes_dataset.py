"""CityscapesDataset: Cityscapes fine annotations with train ids."""
from segkit.registry import DATASETS

from .base_seg_dataset import BaseSegDataset

CITYSCAPES_CLASSES = ('road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
                      'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider', 'car',
                      'truck', 'bus', 'train', 'motorcycle', 'bicycle')
CITYSCAPES_PALETTE = [[128, 64, 128], [244, 35, 232], [70, 70, 70], [102, 102, 156],
                      [190, 153, 153], [153, 153, 153], [250, 170, 30], [220, 220, 0],
                      [107, 142, 35], [152, 251, 152], [70, 130, 180], [220, 20, 60], [255, 0, 0],
                      [0, 0, 142], [0, 0, 70], [0, 60, 100], [0, 80, 100], [0, 0, 230],
                      [119, 11, 32]]


@DATASETS.register_module()
class CityscapesDataset(BaseSegDataset):
    """Cityscapes: ``data_root`` = ``data/cityscapes``.

    Scans ``leftImg8bit/<split>/<city>/*_leftImg8bit.png`` and pairs each image with
    ``gtFine/<split>/<city>/*_gtFine_labelTrainIds.png`` (made by
    ``tools/dataset_converters/cityscapes.py``). 19 classes, 255 ignored.
    """

    METAINFO = dict(classes=CITYSCAPES_CLASSES, palette=CITYSCAPES_PALETTE)
    DOWNLOAD_HINT = ('Expected data/cityscapes/{leftImg8bit,gtFine}/<split>/<city>/: download '
                     'leftImg8bit_trainvaltest.zip and gtFine_trainvaltest.zip from '
                     'https://www.cityscapes-dataset.com/downloads/, extract them into '
                     'data/cityscapes and run tools/dataset_converters/cityscapes.py '
                     'data/cityscapes (see README, Datasets).')

    def __init__(self, data_root: str,
                 data_prefix: dict = dict(img_path='leftImg8bit/train',
                                          seg_map_path='gtFine/train'),
                 ann_file: str = '', **kwargs):
        super().__init__(data_root=data_root, ann_file=ann_file, data_prefix=data_prefix,
                         img_suffix='_leftImg8bit.png',
                         seg_map_suffix='_gtFine_labelTrainIds.png', **kwargs)
