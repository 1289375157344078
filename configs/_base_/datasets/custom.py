# Your own images and masks (README, Train on your own data), MMSegmentation's layout:
#   data/my_dataset/img_dir/{train,val}/NAME.jpg  and  ann_dir/{train,val}/NAME.png
# Masks hold class indices (palette or grayscale PNGs; label_map={255: 1} for 0/255 masks;
# RGB colour masks are converted through metainfo's palette). Train: random rescale of
# (2048, 512) by 0.5-2, crop 512x512, flip, photometric distortion. Test: resize to (2048, 512).
dataset_type = 'BaseSegDataset'
data_root = 'data/my_dataset'
metainfo = dict(classes=('background', 'foreground'))
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(2048, 512), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='LoadAnnotations'),  # after Resize: metrics use the full-size labels
    dict(type='PackSegInputs'),
]
# The recipe: 4 GPUs x 4 images = 16 (MMSegmentation's). tools/train.py logs it
# against the actual total batch; --auto-scale-lr scales the learning rate by their ratio.
auto_scale_lr = dict(enable=False, base_batch_size=16)
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'),
        img_suffix='.jpg',
        seg_map_suffix='.png',
        metainfo=metainfo,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
        img_suffix='.jpg',
        seg_map_suffix='.png',
        metainfo=metainfo,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
