# DeepLabV3+ on timm's ConvNeXt-T (ImageNet-1k weights from timm) at output stride 16,
# Cityscapes 512x1024, 80k iterations. No published result for this pairing; not yet trained.
# No channel numbers: the heads take them from the backbone's feature_info.
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
        model_name='convnext_tiny',  # four outputs: 96, 192, 384, 768 channels at 1/4..1/16
        output_stride=16,
        pretrained=True,  # timm's weights, downloaded once into its cache when training starts
        model_kwargs=dict(drop_path_rate=0.3)),
    decode_head=dict(
        type='DepthwiseSeparableASPPHead',
        in_index=3,  # in_channels and c1_in_channels (output 0, 1/4) from the backbone
        channels=512,
        dilations=(1, 6, 12, 18),
        c1_channels=48,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead',
        in_index=2,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=0.4)),
    test_cfg=dict(mode='whole'))
# ConvNeXt's recipe: AdamW with weight decay, a linear warm-up, then poly decay.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(_delete_=True, type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    clip_grad=None)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, begin=0, end=1500, by_epoch=False),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=80000, by_epoch=False),
]
