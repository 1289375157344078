# DeepLabV3+ on timm's MobileNetV3-Large (from scratch, output stride 16) learns the built-in
# demo data (generated into data/demo on first use) with the quick start's schedule: the
# quick start with a timm backbone. No channel numbers: the head takes them from timm.
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
        type='TimmBackbone',
        model_name='mobilenetv3_large_100',
        out_indices=(1, 2, 3, 4),  # 24, 40, 112, 960 channels at 1/4, 1/8, 1/16, 1/16
        output_stride=16,
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='DepthwiseSeparableASPPHead',
        in_index=3,
        channels=64,
        dilations=(1, 2, 4, 6),  # small rates: the 1/16 feature map is only 8x8
        c1_channels=24,
        dropout_ratio=0.1,
        num_classes=5,
        norm_cfg=norm_cfg,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    test_cfg=dict(mode='whole'))
# The quick start's learning rate and schedule.
optim_wrapper = dict(optimizer=dict(lr=0.1))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=50, by_epoch=False),
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=50, end=1500, by_epoch=False),
]
