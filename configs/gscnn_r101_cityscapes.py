# Gated-SCNN R-101-D8, Cityscapes 512x1024, 80k iterations. Edge labels (radius 2) are made
# after crop and flip; validation reports mIoU and the boundary F-score at 3/5/9/12 px.
_base_ = [
    '_base_/models/gscnn_r50-d8.py', '_base_/datasets/cityscapes.py',
    '_base_/default_runtime.py', '_base_/schedules/schedule_80k.py'
]
crop_size = (512, 1024)
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained='open-mmlab://resnet101_v1c',
    backbone=dict(depth=101))
# GenerateEdge after crop and flip, before packing: the edge labels of loss_edge.
train_pipeline = [*_base_.train_pipeline[:-1], dict(type='GenerateEdge', radius=2),
                  dict(type='PackSegInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='BoundaryFScore', tolerances=(3, 5, 9, 12)),
]
test_evaluator = val_evaluator
