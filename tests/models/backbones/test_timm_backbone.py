"""TimmBackbone: timm's feature maps, strides, weights and norms; every head on it."""
import os.path as osp
import re

import huggingface_hub
import numpy as np
import pytest
import timm
import torch
from mmengine.dataset import Compose, pseudo_collate
from mmengine.structures import PixelData
from timm.models import adapt_input_conv
from torch import nn

from segkit.checkpoint import build_model_skeleton
from segkit.config import load_config
from segkit.models.backbones import TimmBackbone
from segkit.models.segmentors import SegTTAModel
from segkit.registry import MODELS, TRANSFORMS
from segkit.utils.errors import CheckpointError, ConfigError
from tests.helpers import REPO, make_samples

pytestmark = pytest.mark.usefixtures('one_thread')
NAME = 'mobilenetv3_small_050'
PACK = [dict(type='PackSegInputs')]  # five levels: 16, 8, 16, 24, 288 channels at 1/2..1/32


def test_outputs_follow_feature_info():
    backbone = TimmBackbone(NAME, out_indices=(1, 2, 3, 4))
    assert backbone.out_channels == (8, 16, 24, 288)
    assert backbone.out_strides == (4, 8, 16, 32)
    outs = backbone(torch.randn(2, 3, 64, 96))
    assert [tuple(o.shape) for o in outs] == [(2, 8, 16, 24), (2, 16, 8, 12), (2, 24, 4, 6),
                                              (2, 288, 2, 3)]


@pytest.mark.parametrize('name, output_stride, strides', [
    ('resnet18', 8, (2, 4, 8, 8, 8)),
    (NAME, 16, (2, 4, 8, 16, 16)),
    ('convnext_atto', 16, (4, 8, 16, 16)),
])
def test_output_stride_dilates(name, output_stride, strides):
    backbone = TimmBackbone(name, output_stride=output_stride)
    assert backbone.out_strides == strides
    outs = backbone(torch.randn(1, 3, 64, 64))
    assert [64 // o.shape[-1] for o in outs] == list(strides)


def test_output_stride_that_timm_cannot_give():
    with pytest.raises(ConfigError, match=r"^TimmBackbone 'vit_tiny_patch16_224' does not "
                                          r'support output_stride=8 \(timm cannot dilate it\); '
                                          r'use output_stride=32 or a model that supports it '
                                          r'\(resnet50, convnext_tiny, '):
        TimmBackbone('vit_tiny_patch16_224', output_stride=8)
    with pytest.raises(ConfigError, match=r'^TimmBackbone output_stride 4: expected 8, 16 or 32$'):
        TimmBackbone(NAME, output_stride=4)


def test_unknown_model_names_the_closest():
    with pytest.raises(ConfigError, match=r"^TimmBackbone model_name 'convnext_tny' is not a timm "
                                          r'model; closest: convnext_tiny, '):
        TimmBackbone('convnext_tny')


def test_input_channels_and_meta_build():
    backbone = TimmBackbone(NAME, in_channels=4)
    assert backbone.model.conv_stem.in_channels == 4
    assert backbone(torch.randn(2, 4, 64, 64))[0].shape == (2, 16, 32, 32)
    with torch.device('meta'):  # how the checkpoint converter builds a model
        assert TimmBackbone('convnext_atto', output_stride=16).out_channels == (40, 80, 160, 320)


def test_timm_classifier_file_loads_with_input_conv_adapted(tmp_path):
    torch.manual_seed(0)
    classifier = timm.create_model(NAME)  # the ImageNet layout: conv_head and classifier too
    path = str(tmp_path / 'timm.pth')
    torch.save(classifier.state_dict(), path)
    backbone = TimmBackbone(NAME, in_channels=4,
                            init_cfg=dict(type='Pretrained', checkpoint=path))
    backbone.init_weights()
    own = backbone.model.state_dict()
    source = classifier.state_dict()
    assert torch.equal(own['blocks.4.1.conv_pwl.weight'], source['blocks.4.1.conv_pwl.weight'])
    assert torch.equal(own['conv_stem.weight'],
                       adapt_input_conv(4, source['conv_stem.weight']))


def test_own_layout_file_loads_under_a_prefix(tmp_path):
    torch.manual_seed(1)
    source = TimmBackbone(NAME)
    path = str(tmp_path / 'model.pth')
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in source.state_dict().items()}},
               path)
    backbone = TimmBackbone(NAME, init_cfg=dict(type='Pretrained', checkpoint=path,
                                                prefix='backbone.'))
    backbone.init_weights()
    assert all(torch.equal(v, source.state_dict()[k])
               for k, v in backbone.state_dict().items())


def test_file_of_another_model_is_refused(tmp_path):
    path = str(tmp_path / 'resnet.pth')
    torch.save(timm.create_model('resnet10t').state_dict(), path)
    backbone = TimmBackbone(NAME, init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(CheckpointError, match=rf"^{path} does not fit timm model '{NAME}': "
                                              r'Error\(s\) in loading state_dict'):
        backbone.init_weights()
    state = timm.create_model(NAME).state_dict()
    del state['blocks.4.1.conv_pwl.weight']
    torch.save(state, path)
    with pytest.raises(CheckpointError, match=rf"^{path} does not fit timm model '{NAME}': "
                                              r'Missing keys \(blocks.4.1.conv_pwl.weight\)$'):
        backbone.init_weights()


def test_pretrained_offline_without_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, 'HF_HUB_OFFLINE', True)
    monkeypatch.setattr(huggingface_hub.constants, 'HF_HUB_CACHE', str(tmp_path))
    backbone = TimmBackbone(NAME, pretrained=True)  # nothing is fetched at build time
    with pytest.raises(CheckpointError, match=rf"^TimmBackbone could not get timm's pretrained "
                                              rf"weights for '{NAME}' \(.*\); they download "
                                              r"once into timm's cache .*offline, copy that "
                                              r"cache or set init_cfg=dict\(type='Pretrained', "
                                              r'checkpoint=PATH\)$'):
        backbone.init_weights()


def test_norms():
    frozen = TimmBackbone(NAME, norm_cfg=dict(type='SyncBN', requires_grad=False, eps=1e-3),
                          norm_eval=True)
    norms = [m for m in frozen.modules() if isinstance(m, nn.BatchNorm2d)]
    assert norms and all(type(m) is not nn.SyncBatchNorm for m in norms)  # not distributed
    assert all(m.eps == 1e-3 and not m.weight.requires_grad for m in norms)
    frozen.train()
    assert not any(m.training for m in norms)
    with pytest.raises(ConfigError, match=r"^TimmBackbone norm_cfg type 'GN': expected one of "
                                          r"\('BN', 'SyncBN'\) \(the model keeps its own norm "
                                          r'layers\)$'):
        TimmBackbone(NAME, norm_cfg=dict(type='GN', num_groups=2))


BACKBONE = dict(type='TimmBackbone', model_name=NAME, out_indices=(1, 2, 3, 4))
NORM = dict(type='BN')
HEADS = {  # no in_channels anywhere: the segmentor takes them from the backbone
    'FCNHead': dict(type='FCNHead', in_index=3, channels=8, num_convs=1, norm_cfg=NORM),
    'ASPPHead': dict(type='ASPPHead', in_index=3, channels=8, dilations=(1, 2), norm_cfg=NORM),
    'NLHead': dict(type='NLHead', in_index=3, channels=8, norm_cfg=NORM),
    'GCNHead': dict(type='GCNHead', in_index=(0, 1, 2, 3), kernel_size=3),
    'GSCNNHead': dict(type='GSCNNHead', in_index=(0, 1, 2, 3), input_transform='multiple_select',
                      channels=8, dilations=(1, 2), shape_channels=(8, 8, 4, 4),
                      fine_channels=4, norm_cfg=NORM),
    'DepthwiseSeparableASPPHead': dict(type='DepthwiseSeparableASPPHead', in_index=3,
                                       channels=8, dilations=(1, 2), c1_channels=4,
                                       norm_cfg=NORM),
}


def model_cfg(head: dict, **backbone) -> dict:
    preprocessor = dict(type='SegDataPreProcessor')
    if head['type'] == 'GSCNNHead':
        preprocessor = dict(type='GSCNNDataPreProcessor', canny_thresholds=(10, 100))
    return dict(type='EncoderDecoder', data_preprocessor=preprocessor,
                backbone=dict(BACKBONE, **backbone), decode_head=dict(head, num_classes=3))


@pytest.mark.parametrize('head', list(HEADS))
def test_every_head_on_a_timm_backbone(head):
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(HEADS[head]))
    labels = torch.randint(0, 3, (2, 64, 64))
    samples = make_samples(labels)
    for sample, label in zip(samples, labels):
        edge = TRANSFORMS.build(dict(type='GenerateEdge', radius=1))(
            dict(gt_seg_map=label.numpy().astype(np.uint8)))['gt_edge_map']
        sample.gt_edge_map = PixelData(data=torch.from_numpy(edge)[None])
    inputs = torch.randint(0, 255, (2, 3, 64, 64), dtype=torch.uint8)
    data = model.data_preprocessor(dict(inputs=list(inputs), data_samples=samples), True)
    losses = model(data['inputs'], data['data_samples'], mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.backbone.model.conv_stem.weight.grad is not None
    model.eval()
    with torch.no_grad():
        preds = model(data['inputs'][:1] if isinstance(data['inputs'], torch.Tensor)
                      else {k: v[:1] for k, v in data['inputs'].items()},
                      data['data_samples'][:1], mode='predict')
    assert preds[0].pred_sem_seg.data.shape == (1, 64, 64)


def test_channel_or_index_mismatch_is_one_line():
    source = f"the backbone (TimmBackbone '{NAME}')"
    outputs = '4 outputs with 8, 16, 24, 288 channels'
    with pytest.raises(ConfigError, match=rf'^model.decode_head.in_channels=256 does not fit '
                                          rf'in_index=3: {re.escape(source)} gives 288 channels '
                                          rf'there \({outputs}\)$'):
        MODELS.build(model_cfg(dict(HEADS['ASPPHead'], in_channels=256)))
    with pytest.raises(ConfigError, match=rf'^model.decode_head.in_index=4 does not fit '
                                          rf'{re.escape(source)}: it gives {outputs}$'):
        MODELS.build(model_cfg(dict(HEADS['ASPPHead'], in_index=4)))
    with pytest.raises(ConfigError, match=rf'^model.decode_head.c1_in_channels=256 does not fit '
                                          rf'{re.escape(source)}: its output 0 has 8 channels '
                                          rf'\({outputs}\)$'):
        MODELS.build(model_cfg(dict(HEADS['DepthwiseSeparableASPPHead'], c1_in_channels=256)))


def test_checkpoint_skeleton_of_a_timm_config():
    model = build_model_skeleton(
        load_config(osp.join(REPO, 'configs', 'deeplabv3plus_mobilenetv3_demo.py')))
    assert model.decode_head.c1_bottleneck.conv.in_channels == 24


def demo_timm_model() -> nn.Module:
    """The timm demo config's model with random BN statistics, in eval mode."""
    torch.manual_seed(0)
    model = MODELS.build(load_config(osp.join(REPO, 'configs',
                                              'deeplabv3plus_mobilenetv3_demo.py')).model)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return model.eval()


def test_slide_inference_and_tta_on_a_timm_backbone():
    model = demo_timm_model()
    img = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    load = dict(type='LoadImageFromNDArray')
    plain = predict(model, [load, *PACK], img).seg_logits.data
    model.test_cfg = dict(mode='slide', crop_size=(48, 64), stride=(32, 32))  # one window
    assert torch.allclose(predict(model, [load, *PACK], img).seg_logits.data, plain, atol=1e-5)
    model.test_cfg = dict(mode='slide', crop_size=(32, 32), stride=(16, 16))  # 2 x 3 windows
    windows = predict(model, [load, *PACK], img)
    assert windows.pred_sem_seg.data.shape == (1, 48, 64)
    model.test_cfg = dict(mode='whole')

    flipped = predict(model, [load, *PACK], np.ascontiguousarray(img[:, ::-1])).seg_logits.data
    expected = (plain.softmax(0) + flipped.flip(2).softmax(0)) / 2
    pipeline = [load, dict(type='TestTimeAug', transforms=[
        [dict(type='Resize', scale_factor=1.0, keep_ratio=True)],
        [dict(type='RandomFlip', prob=0., direction='horizontal'),
         dict(type='RandomFlip', prob=1., direction='horizontal')], PACK])]
    merged = predict(SegTTAModel(module=model), pipeline, img)
    assert torch.allclose(merged.seg_logits.data, expected, atol=1e-5)


def predict(model, pipeline, img):
    with torch.no_grad():
        return model.test_step(pseudo_collate([Compose(pipeline)(dict(img=img))]))[0]
