# GCN on a from-scratch ResNetV1c-18 at output stride 32 learns the built-in demo data
# (generated into data/demo on first use) on 2 CPU cores, bf16 autocast.
_base_ = [
    '_base_/datasets/demo.py', '_base_/default_runtime.py',
    '_base_/schedules/schedule_demo.py'
]
crop_size = (128, 128)
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        size=crop_size),
    backbone=dict(
        type='ResNetV1c',
        depth=18,
        strides=(1, 2, 2, 2),
        dilations=(1, 1, 1, 1),
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='GCNHead',
        in_channels=(64, 128, 256, 512),
        in_index=(0, 1, 2, 3),
        input_transform='multiple_select',
        kernel_size=15,  # the paper's k; the 1/4 map of a 128 crop is 32x32
        upsample='bilinear',
        num_classes=5,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    test_cfg=dict(mode='whole'))
