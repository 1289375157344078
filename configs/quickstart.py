# Quick start: DeepLabV3 on a from-scratch ResNetV1c-18 (output stride 8) learns the
# built-in demo data (generated into data/demo on first use) on 2 CPU cores, bf16 autocast.
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
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        contract_dilation=True,
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='ASPPHead',
        in_channels=512,
        in_index=3,
        channels=128,
        dilations=(1, 2, 4, 6),  # the 1/8 feature map is only 16x16
        dropout_ratio=0.1,
        num_classes=5,
        norm_cfg=norm_cfg,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    test_cfg=dict(mode='whole'))
