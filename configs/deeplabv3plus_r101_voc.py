# DeepLabV3+ R-101-D8, PASCAL VOC 2012 + aug 512x512, 40k iterations (MMSegmentation: 78.62
# mIoU).
_base_ = [
    '_base_/models/deeplabv3plus_r50-d8.py', '_base_/datasets/pascal_voc12_aug.py',
    '_base_/default_runtime.py', '_base_/schedules/schedule_40k.py'
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    # https://download.openmmlab.com/pretrain/third_party/resnet101_v1c-e67eebb6.pth
    pretrained='data/pretrained/resnet101_v1c-e67eebb6.pth',
    backbone=dict(depth=101),
    decode_head=dict(num_classes=21),
    auxiliary_head=dict(num_classes=21))
