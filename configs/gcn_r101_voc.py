# GCN R-101 (output stride 32), PASCAL VOC 2012 + aug 512x512, 40k iterations.
# Not trained here: no published number for this setting (the paper: ResNet-152, 82.2 test).
_base_ = [
    '_base_/models/gcn_r50.py', '_base_/datasets/pascal_voc12_aug.py',
    '_base_/default_runtime.py', '_base_/schedules/schedule_40k.py'
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained='open-mmlab://resnet101_v1c',
    backbone=dict(depth=101),
    decode_head=dict(num_classes=21))
