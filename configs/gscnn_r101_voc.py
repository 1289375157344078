# Gated-SCNN R-101-D8, PASCAL VOC 2012 + aug 512x512, 40k iterations. No published number for
# this setting. VOC marks object outlines as ignore (255): edges lie on both sides of them.
_base_ = [
    '_base_/models/gscnn_r50-d8.py', '_base_/datasets/pascal_voc12_aug.py',
    '_base_/default_runtime.py', '_base_/schedules/schedule_40k.py'
]
dataset_type = 'PascalVOCDataset'
data_root = 'data/VOCdevkit/VOC2012'
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    # https://download.openmmlab.com/pretrain/third_party/resnet101_v1c-e67eebb6.pth
    pretrained='data/pretrained/resnet101_v1c-e67eebb6.pth',
    backbone=dict(depth=101),
    decode_head=dict(num_classes=21))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(2048, 512), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='GenerateEdge', radius=2),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    dataset=dict(
        datasets=[
            dict(type=dataset_type, data_root=data_root,
                 ann_file='ImageSets/Segmentation/train.txt',
                 data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
                 pipeline=train_pipeline),
            dict(type=dataset_type, data_root=data_root,
                 ann_file='ImageSets/Segmentation/aug.txt',
                 data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
                 pipeline=train_pipeline),
        ]))
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='BoundaryFScore', tolerances=(3, 5, 9, 12)),
]
test_evaluator = val_evaluator
