"""PascalVOCDataset: PASCAL VOC 2012 segmentation in its official layout."""
from segkit.registry import DATASETS

from .base_seg_dataset import BaseSegDataset

VOC_CLASSES = ('background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car',
               'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person',
               'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor')
VOC_PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128], [128, 0, 128],
               [0, 128, 128], [128, 128, 128], [64, 0, 0], [192, 0, 0], [64, 128, 0],
               [192, 128, 0], [64, 0, 128], [192, 0, 128], [64, 128, 128], [192, 128, 128],
               [0, 64, 0], [128, 64, 0], [0, 192, 0], [128, 192, 0], [0, 64, 128]]


@DATASETS.register_module()
class PascalVOCDataset(BaseSegDataset):
    """PASCAL VOC 2012: ``data_root`` = ``data/VOCdevkit/VOC2012``.

    Reads ``JPEGImages/<id>.jpg`` and ``SegmentationClass/<id>.png`` (palette PNGs read as
    class indices) for the ids in ``ann_file`` (``ImageSets/Segmentation/{train,val,
    trainval}.txt``); the SBD-augmented labels use ``SegmentationClassAug`` and ``aug.txt``.
    21 classes, 255 ignored.
    """

    METAINFO = dict(classes=VOC_CLASSES, palette=VOC_PALETTE)
    DOWNLOAD_HINT = ('Expected data/VOCdevkit/VOC2012/{JPEGImages,SegmentationClass,'
                     'ImageSets/Segmentation}: download VOCtrainval_11-May-2012.tar from '
                     'http://host.robots.ox.ac.uk/pascal/VOC/voc2012/ and extract it into data/; '
                     'SegmentationClassAug and aug.txt come from SBD (benchmark.tgz) through '
                     'tools/dataset_converters/voc_aug.py data/VOCdevkit '
                     'data/VOCdevkit/benchmark_RELEASE (see README, Datasets).')

    def __init__(self, data_root: str, ann_file: str,
                 data_prefix: dict = dict(img_path='JPEGImages',
                                          seg_map_path='SegmentationClass'),
                 **kwargs):
        super().__init__(data_root=data_root, ann_file=ann_file, data_prefix=data_prefix,
                         img_suffix='.jpg', seg_map_suffix='.png', **kwargs)
