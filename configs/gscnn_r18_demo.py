# Gated-SCNN on a from-scratch ResNetV1c-18 (output stride 8) learns the built-in demo data
# (generated into data/demo on first use) on 2 CPU cores, bf16 autocast. Validation reports
# mIoU and the boundary F-score.
_base_ = [
    '_base_/datasets/demo.py', '_base_/default_runtime.py',
    '_base_/schedules/schedule_demo.py'
]
crop_size = (128, 128)
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(
        type='GSCNNDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        size=crop_size,
        canny_thresholds=(10, 100)),
    backbone=dict(
        type='ResNetV1c',
        depth=18,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        contract_dilation=True,
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='GSCNNHead',
        in_channels=(64, 128, 256, 512),
        in_index=(0, 1, 2, 3),  # fine map (shape stream input), then the three gating maps
        input_transform='multiple_select',
        channels=128,
        dilations=(1, 2, 4, 6),  # the 1/8 feature map is only 16x16
        shape_channels=(64, 32, 16, 8),
        fine_channels=48,
        dropout_ratio=0.1,
        num_classes=5,
        norm_cfg=norm_cfg,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0),
        loss_edge=dict(type='BoundaryBCELoss', loss_weight=20.0),
        loss_attention=dict(type='EdgeAttentionLoss', threshold=0.8, loss_weight=1.0),
        loss_dual=dict(type='DualTaskLoss', tau=0.5, loss_weight=1.0)),
    test_cfg=dict(mode='whole'))
# GenerateEdge after crop and flip, before packing: the edge labels of loss_edge.
train_pipeline = [*_base_.train_pipeline[:-1], dict(type='GenerateEdge', radius=2),
                  dict(type='PackSegInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='BoundaryFScore', tolerances=(3, 5, 9, 12)),
]
test_evaluator = val_evaluator
