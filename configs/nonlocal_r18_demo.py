# Non-local head on a from-scratch ResNetV1c-18 (output stride 8) on the built-in demo data
# (generated into data/demo on first use); 2 CPU cores, bf16 autocast. The 1/8 feature map
# is 16x16, so the attention matrix is 256 x 256 per image.
_base_ = ['_base_/datasets/demo.py', '_base_/default_runtime.py']
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
        type='NLHead',
        in_channels=512,
        in_index=3,
        channels=128,
        reduction=2,
        use_scale=True,
        mode='embedded_gaussian',
        dropout_ratio=0.1,
        num_classes=5,
        norm_cfg=norm_cfg,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    test_cfg=dict(mode='whole'))
optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0005))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=100, by_epoch=False),
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=100, end=1500, by_epoch=False),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1500, val_interval=300)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=300, max_keep_ckpts=2,
                    save_best='mIoU'),
    sampler_seed=dict(type='DistSamplerSeedHook'))
