# DeepLabV3 R-101-D16-MG124 with OHEM, Cityscapes 512x1024, 80k iterations
# (MMSegmentation's deeplabv3_r101-d16-mg124_4xb2-80k_cityscapes-512x1024: 78.36 mIoU,
# 79.84 with multi-scale + flip; 76.71 at 40k).
_base_ = [
    '_base_/models/deeplabv3_r50-d8.py', '_base_/datasets/cityscapes.py',
    '_base_/default_runtime.py', '_base_/schedules/schedule_80k.py'
]
crop_size = (512, 1024)
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained='open-mmlab://resnet101_v1c',
    backbone=dict(
        depth=101,
        strides=(1, 2, 2, 1),  # output stride 16
        dilations=(1, 1, 1, 2),
        multi_grid=(1, 2, 4),
        # MMSegmentation uses the grid itself as the rates of the last stage's blocks
        # (1, 2, 4); the paper's 'paper' mode would give dilation * grid = (2, 4, 8).
        # 'mmseg' is what produced the numbers above.
        multi_grid_mode='mmseg'),
    decode_head=dict(
        dilations=(1, 6, 12, 18),  # ASPP rates at output stride 16
        # MMSegmentation's recipe: the 100000 highest-loss pixels per image, no threshold.
        # The thresholded variant is dict(type='OHEMPixelSampler', thresh=0.7,
        # min_kept=100000).
        sampler=dict(type='OHEMPixelSampler', thresh=None, min_kept=100000)))
