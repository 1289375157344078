# GCN ("Large Kernel Matters"): GCN + boundary refinement on the four stages of
# ResNetV1c-50 at output stride 32 (no dilation), fused top-down to the input size.
norm_cfg = dict(type='SyncBN', requires_grad=True)  # plain BN when not distributed
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
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
        strides=(1, 2, 2, 2),
        dilations=(1, 1, 1, 1),  # output stride 32, as in the paper
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch'),
    decode_head=dict(
        type='GCNHead',
        in_channels=(256, 512, 1024, 2048),
        in_index=(0, 1, 2, 3),
        input_transform='multiple_select',
        kernel_size=15,
        upsample='bilinear',  # or 'deconv' (learnable, as in the paper)
        num_classes=19,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
