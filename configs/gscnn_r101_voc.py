# Gated-SCNN R-101-D8, PASCAL VOC 2012 + aug 512x512, 40k iterations. No published number for
# this setting. VOC marks object outlines as ignore (255): edges lie on both sides of them.
_base_ = [
    '_base_/models/gscnn_r50-d8.py', '_base_/datasets/pascal_voc12_aug.py',
    '_base_/default_runtime.py', '_base_/schedules/schedule_40k.py'
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained='open-mmlab://resnet101_v1c',
    backbone=dict(depth=101),
    decode_head=dict(num_classes=21))
# GenerateEdge after crop and flip, before packing: the edge labels of loss_edge.
train_pipeline = [*_base_.train_pipeline[:-1], dict(type='GenerateEdge', radius=2),
                  dict(type='PackSegInputs')]
train_dataloader = dict(dataset=dict(datasets=[
    dict(dataset, pipeline=train_pipeline)
    for dataset in _base_.train_dataloader.dataset.datasets]))
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='BoundaryFScore', tolerances=(3, 5, 9, 12)),
]
test_evaluator = val_evaluator
