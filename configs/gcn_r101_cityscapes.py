# GCN R-101 (output stride 32), Cityscapes 512x1024, 80k iterations.
# Not trained here: no published number for this setting (the paper: ResNet-152, 76.9 test).
_base_ = [
    '_base_/models/gcn_r50.py', '_base_/datasets/cityscapes.py',
    '_base_/default_runtime.py', '_base_/schedules/schedule_80k.py'
]
crop_size = (512, 1024)
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained='open-mmlab://resnet101_v1c',
    backbone=dict(depth=101))
