# Quick start: DeepLabV3 on a from-scratch half-width ResNetV1c-18 (output stride 16) learns
# the built-in demo data (generated into data/demo on first use) in minutes on 2 CPU cores:
# bf16 autocast where the CPU has native bf16 (AVX512-BF16/AMX), fp32 elsewhere (AVX2).
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
        stem_channels=32,  # half of ResNet-18's widths at output stride 16: a training step
        base_channels=32,  # costs about a ninth of the full-width output-stride-8 one
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        contract_dilation=True,
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='ASPPHead',
        in_channels=256,
        in_index=3,
        channels=64,
        dilations=(1, 2, 4, 6),  # small rates: the 1/16 feature map is only 8x8
        dropout_ratio=0.1,
        num_classes=5,
        norm_cfg=norm_cfg,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    test_cfg=dict(mode='whole'))
# The demo schedule (1500 iterations, validated every 300) at a higher learning rate:
# lr 0.02 reached 28 mIoU at iteration 600 in a trial run, 0.1: 38-58.
optim_wrapper = dict(optimizer=dict(lr=0.1))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=50, by_epoch=False),
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=50, end=1500, by_epoch=False),
]
