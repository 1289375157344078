# DeepLabV3+ R-50-D8, Cityscapes 512x1024, 80k iterations (MMSegmentation: 80.09 mIoU).
_base_ = [
    '_base_/models/deeplabv3plus_r50-d8.py', '_base_/datasets/cityscapes.py',
    '_base_/default_runtime.py', '_base_/schedules/schedule_80k.py'
]
crop_size = (512, 1024)
model = dict(data_preprocessor=dict(size=crop_size))
