# Gated-SCNN on ResNetV1c-50 at output stride 8. Shape stream from stage 1 (1/4), gated by
# stages 2-4; ASPP (with the edge branch) on stage 4; decoder with 48-ch stage-1 features.
# The data preprocessor makes the Canny edges of the uint8 image (before normalising) as
# the named input 'edge' beside 'img'; the head reads it.
norm_cfg = dict(type='SyncBN', requires_grad=True)  # plain BN when not distributed
data_preprocessor = dict(
    type='GSCNNDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    canny_thresholds=(10, 100))
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    # ImageNet weights, downloaded once into $TORCH_HOME/hub/checkpoints
    pretrained='open-mmlab://resnet50_v1c',
    backbone=dict(
        type='ResNetV1c',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True),
    decode_head=dict(
        type='GSCNNHead',
        in_channels=(256, 512, 1024, 2048),
        in_index=(0, 1, 2, 3),  # fine map (shape stream input), then the three gating maps
        input_transform='multiple_select',
        channels=256,
        dilations=(1, 12, 24, 36),
        shape_channels=(64, 32, 16, 8),
        fine_channels=48,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
        loss_edge=dict(type='BoundaryBCELoss', loss_weight=20.0),
        loss_attention=dict(type='EdgeAttentionLoss', threshold=0.8, loss_weight=1.0),
        loss_dual=dict(type='DualTaskLoss', tau=0.5, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
