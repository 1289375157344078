# DeepLabV3+ on timm's MobileNetV3-Large (ImageNet weights from timm) at output stride 16, a
# 128-channel head: the CPU-fast model for deployment. Cityscapes 512x1024, 80k iterations.
# No published result for this pairing; not yet trained.
_base_ = [
    '_base_/datasets/cityscapes.py', '_base_/default_runtime.py',
    '_base_/schedules/schedule_80k.py'
]
crop_size = (512, 1024)
norm_cfg = dict(type='SyncBN', requires_grad=True)  # plain BN when not distributed
model = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        size=crop_size),
    backbone=dict(
        type='TimmBackbone',
        model_name='mobilenetv3_large_100',
        out_indices=(1, 2, 3, 4),  # 24, 40, 112, 960 channels at 1/4, 1/8, 1/16, 1/16
        output_stride=16,
        pretrained=True,  # timm's weights, downloaded once into its cache when training starts
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='DepthwiseSeparableASPPHead',
        in_index=3,  # in_channels and c1_in_channels (output 0, 1/4) from the backbone
        channels=128,
        dilations=(1, 6, 12, 18),
        c1_channels=48,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    test_cfg=dict(mode='whole'))
