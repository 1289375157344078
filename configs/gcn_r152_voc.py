# GCN as in the paper: torchvision ResNet-152 (7x7 stem, output stride 32), k = 15,
# learnable deconvolution; PASCAL VOC 2012 + aug 512x512, 40k iterations.
# Paper: 82.2 mIoU on VOC 2012 test (with extra training data); not reproduced here.
_base_ = [
    '_base_/models/gcn_r50.py', '_base_/datasets/pascal_voc12_aug.py',
    '_base_/default_runtime.py', '_base_/schedules/schedule_40k.py'
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    # torchvision ImageNet weights (IMAGENET1K_V1), downloaded once into the torch hub cache
    pretrained='torchvision://resnet152',
    backbone=dict(
        _delete_=True,
        type='TorchvisionResNet',
        depth=152,
        out_indices=(0, 1, 2, 3),
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        norm_eval=False),
    decode_head=dict(upsample='deconv', num_classes=21))
