"""Tests for segkit.config: strict loading of MMSegmentation-style configs."""
import textwrap
from typing import Optional, Sequence, Tuple

import pytest
import torch
from mmengine.model import BaseModule

from segkit.config import load_config
from segkit.registry import DATASETS, METRICS, MODELS, TASK_UTILS, TRANSFORMS
from segkit.utils.errors import ConfigError


class _StrictTestBackbone(BaseModule):

    def __init__(self, depth: int, in_channels: int = 3, norm_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)


class _StrictTestBaseHead(BaseModule):

    def __init__(self, in_channels: int, channels: int, num_classes: int,
                 dropout_ratio: float = 0.1, align_corners: bool = False,
                 norm_cfg: Optional[dict] = None, loss_decode: Optional[dict] = None,
                 sampler: Optional[dict] = None, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)


class _StrictTestHead(_StrictTestBaseHead):
    """Forwards **kwargs, like an MMSegmentation head: keys are checked against the base."""

    def __init__(self, dilations: Tuple[int, ...] = (1, 12, 24, 36), **kwargs):
        super().__init__(**kwargs)


class _StrictTestSegmentor(BaseModule):

    def __init__(self, backbone: dict, decode_head: dict, data_preprocessor: Optional[dict] = None,
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None):
        super().__init__()


class _StrictTestLoss(torch.nn.Module):

    def __init__(self, use_sigmoid: bool = False, loss_weight: float = 1.0):
        super().__init__()


class _StrictTestPixelSampler:

    def __init__(self, thresh: Optional[float] = None, min_kept: int = 100000):
        pass


class _StrictTestDataset:

    def __init__(self, data_root: str, data_prefix: Optional[dict] = None,
                 pipeline: Sequence = (), test_mode: bool = False):
        pass


class _StrictTestLoad:

    def __init__(self, to_float32: bool = False):
        pass


class _StrictTestCrop:

    def __init__(self, crop_size: Tuple[int, int], cat_max_ratio: float = 1.0):
        pass


class _StrictTestFlip:

    def __init__(self, prob: float = 0.5):
        pass


class _StrictTestMetric:

    def __init__(self, iou_metrics: Sequence[str] = ('mIoU',), collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        pass


TEST_CLASSES = {
    MODELS: (_StrictTestBackbone, _StrictTestHead, _StrictTestSegmentor, _StrictTestLoss),
    TASK_UTILS: (_StrictTestPixelSampler,),
    DATASETS: (_StrictTestDataset,),
    TRANSFORMS: (_StrictTestLoad, _StrictTestCrop, _StrictTestFlip),
    METRICS: (_StrictTestMetric,),
}

# Like MMSegmentation's deeplabv3_r50-d8_4xb2-80k_cityscapes-512x1024.py, flattened.
CONFIG = """
norm_cfg = dict(type='SyncBN', requires_grad=True)
crop_size = (512, 1024)
num_classes = 19
data_preprocessor = dict(type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                         std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=8)
model = dict(
    type='_StrictTestSegmentor',
    data_preprocessor=data_preprocessor,
    backbone=dict(type='_StrictTestBackbone', depth=50, norm_cfg=norm_cfg,
                  init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet50_v1c')),
    decode_head=dict(
        type='_StrictTestHead', in_channels=2048, channels=512, dilations=[1, 12, 24, 36],
        dropout_ratio=0, num_classes=num_classes, norm_cfg=norm_cfg, align_corners=False,
        sampler=dict(type='_StrictTestPixelSampler', thresh=0.7),
        loss_decode=dict(type='_StrictTestLoss', use_sigmoid=False, loss_weight=1.0),
        init_cfg=[dict(type='Normal', std=0.01, override=dict(name='conv_seg')),
                  dict(type='Constant', val=1, layer='BatchNorm2d')]),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

dataset_type = '_StrictTestDataset'
data_root = 'data/cityscapes/'
train_pipeline = [
    dict(type='_StrictTestLoad'),
    dict(type='_StrictTestCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='_StrictTestFlip', prob=0.5),
]
test_pipeline = [dict(type='_StrictTestLoad', to_float32=False)]
train_dataloader = dict(
    batch_size=2, num_workers=2, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='ConcatDataset', datasets=[
        dict(type=dataset_type, data_root=data_root, pipeline=train_pipeline,
             data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train')),
        dict(type=dataset_type, data_root=data_root, pipeline=train_pipeline,
             data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val')),
    ]))
val_dataloader = dict(
    batch_size=1, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=test_pipeline,
                 data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val')))
test_dataloader = val_dataloader
val_evaluator = dict(type='_StrictTestMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

optim_wrapper = dict(type='OptimWrapper', clip_grad=None,
                     optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0005))
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=80000, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=80000, val_interval=8000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=8000),
    sampler_seed=dict(type='DistSamplerSeedHook'))

default_scope = 'segkit'
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='nccl'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
_helper = 'private variables are not checked'
"""


@pytest.fixture(autouse=True)
def registered_test_classes():
    """Register the tiny test classes in segkit's registries, and remove them afterwards."""
    for registry, classes in TEST_CLASSES.items():
        for cls in classes:
            registry.register_module(module=cls, force=True)
    yield
    for registry, classes in TEST_CLASSES.items():
        for cls in classes:
            registry._module_dict.pop(cls.__name__)


def write_config(tmp_path, extra='', name='deeplabv3_cityscapes.py', text=CONFIG):
    """Write ``text`` followed by ``extra`` (statements that change it) and return the path."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + textwrap.dedent(extra))
    return str(path)


def load_error(path, cfg_options=None):
    """The message of the ConfigError that loading ``path`` raises."""
    with pytest.raises(ConfigError) as info:
        load_config(path, cfg_options=cfg_options)
    return str(info.value)


def test_valid_config_passes(tmp_path):
    cfg = load_config(write_config(tmp_path))
    assert cfg.model.decode_head.num_classes == 19
    assert cfg.train_cfg.max_iters == 80000


@pytest.mark.parametrize('extra, message', [
    ("model['decode_head']['drop_out_ratio'] = 0.1",
     "unknown key 'model.decode_head.drop_out_ratio' for _StrictTestHead; "
     "did you mean 'dropout_ratio'?"),
    ("model['backbone']['init_cfg']['chekpoint'] = 'x.pth'",
     "unknown key 'model.backbone.init_cfg.chekpoint' for PretrainedInit; "
     "did you mean 'checkpoint'?"),
    ("param_scheduler[0]['eta_mim'] = 0.0",
     "unknown key 'param_scheduler[0].eta_mim' for PolyLR; did you mean 'eta_min'?"),
    ("model['decode_head']['init_cfg'][1]['vall'] = 1",
     "unknown key 'model.decode_head.init_cfg[1].vall' for ConstantInit; did you mean 'val'?"),
    ("optim_wrapper['optimizer']['params'] = []",
     "unknown key 'optim_wrapper.optimizer.params' for SGD; valid keys: "),
    ("train_dataloader['num_worker'] = 2",
     "unknown key 'train_dataloader.num_worker' for DataLoader; did you mean 'num_workers'?"),
    ("env_cfg['cudnn_benchmrk'] = True",
     "unknown key 'env_cfg.cudnn_benchmrk' for env_cfg; did you mean 'cudnn_benchmark'?"),
    ("norm_cfg['type'] = 'SyncBM'",
     "unknown norm type 'SyncBM' at 'norm_cfg.type'; expected one of BN, SyncBN, GN"),
    ("model['backbone']['norm_cfg'] = dict(type='GN', num_group=32)",
     "unknown key 'model.backbone.norm_cfg.num_group' for norm_cfg; "
     "did you mean 'num_groups'?"),
    ("default_hooks['logger']['intervall'] = 10",
     "unknown key 'default_hooks.logger.intervall' for LoggerHook; did you mean 'interval'?"),
    ("visualizer['vis_backends'] = [dict(type='LocalVisBackend', save_dri='x')]",
     "unknown key 'visualizer.vis_backends[0].save_dri' for LocalVisBackend; "
     "did you mean 'save_dir'?"),
])
def test_unknown_nested_key_names_dotted_path_and_suggestion(tmp_path, extra, message):
    path = write_config(tmp_path, extra)
    assert load_error(path).startswith(f'{path}: {message}')


def test_unknown_type_lists_scopes_and_closest_names(tmp_path):
    path = write_config(tmp_path, "model['decode_head']['type'] = '_StrictTestHaed'")
    message = load_error(path)
    assert message.startswith(
        f"{path}: unknown type '_StrictTestHaed' at 'model.decode_head.type' "
        "(searched registry 'model' in scopes segkit, mmengine); closest registered names: ")
    assert '_StrictTestHead' in message.split('closest registered names: ')[1].split(', ')


def test_unknown_type_in_nested_dataset_pipeline(tmp_path):
    path = write_config(tmp_path, """
        train_dataloader['dataset']['datasets'][1]['pipeline'] = [
            dict(type='_StrictTestLoad'), dict(type='_StrictTestFlp', prob=0.5)]
        """)
    assert load_error(path).startswith(
        f"{path}: unknown type '_StrictTestFlp' at "
        "'train_dataloader.dataset.datasets[1].pipeline[1].type' (searched registry 'transform' "
        "in scopes segkit, mmengine); closest registered names: _StrictTestFlip")


def test_unknown_top_level_key(tmp_path):
    path = write_config(tmp_path, 'optim_wraper = optim_wrapper')
    assert load_error(path) == (
        f"{path}: unknown top-level key 'optim_wraper'; did you mean 'optim_wrapper'?")
    path = write_config(tmp_path, 'lr = 0.01')
    assert load_error(path) == (
        f"{path}: unknown top-level key 'lr'; helper variables must start with '_'")


def test_cfg_options_override_and_typo(tmp_path):
    path = write_config(tmp_path)
    cfg = load_config(path, cfg_options={'model.decode_head.num_classes': 5,
                                         'train_cfg.max_iters': 100})
    assert (cfg.model.decode_head.num_classes, cfg.train_cfg.max_iters) == (5, 100)
    assert load_error(path, cfg_options={'model.decode_head.num_clases': 5}) == (
        f"{path}: unknown key 'model.decode_head.num_clases' for _StrictTestHead; "
        "did you mean 'num_classes'?")


@pytest.mark.parametrize('extra, message', [
    ("model['decode_head']['num_classes'] = '19'",
     "'model.decode_head.num_classes' expects int, got str '19'"),
    ("model['decode_head']['num_classes'] = True",
     "'model.decode_head.num_classes' expects int, got bool True"),
    ("model['decode_head']['dropout_ratio'] = dict(p=0.1)",
     "'model.decode_head.dropout_ratio' expects float, got dict {'p': 0.1}"),
    ("model['decode_head']['sampler']['thresh'] = 'high'",
     "'model.decode_head.sampler.thresh' expects float or None, got str 'high'"),
    ("train_pipeline[1]['crop_size'] = 512",
     "'train_pipeline[1].crop_size' expects tuple, got int 512"),
])
def test_wrong_value_type(tmp_path, extra, message):
    path = write_config(tmp_path, extra)
    assert load_error(path) == f'{path}: {message}'


def test_bad_transform_key_in_pipeline(tmp_path):
    path = write_config(tmp_path, """
        train_dataloader = dict(
            batch_size=2, sampler=dict(type='InfiniteSampler', shuffle=True),
            dataset=dict(type=dataset_type, data_root=data_root, pipeline=[
                dict(type='_StrictTestLoad'), dict(type='_StrictTestCrop', crop_sise=crop_size)]))
        """)
    assert load_error(path) == (
        f"{path}: unknown key 'train_dataloader.dataset.pipeline[1].crop_sise' for "
        "_StrictTestCrop; did you mean 'crop_size'?")


def test_base_inheritance_is_merged_and_validated(tmp_path):
    write_config(tmp_path, name='_base_/deeplabv3.py')
    leaf = "_base_ = ['./_base_/deeplabv3.py']\nmodel = dict(decode_head=dict(num_classes=21))\n"
    cfg = load_config(write_config(tmp_path, name='leaf.py', text=leaf))
    assert (cfg.model.decode_head.num_classes, cfg.model.decode_head.channels) == (21, 512)

    write_config(tmp_path, "default_hooks['logger']['intervall'] = 10", name='_base_/typo.py')
    path = write_config(tmp_path, name='typo_leaf.py', text="_base_ = ['./_base_/typo.py']\n")
    assert load_error(path) == (
        f"{path}: unknown key 'default_hooks.logger.intervall' for LoggerHook; "
        "did you mean 'interval'?")


def test_missing_files_and_syntax_errors(tmp_path):
    missing = str(tmp_path / 'missing.py')
    assert load_error(missing) == f'config file not found: {missing}'
    path = write_config(tmp_path, name='leaf.py', text="_base_ = ['./nope.py']\n")
    assert load_error(path) == f"{path}: file not found: {tmp_path / 'nope.py'}"
    path = write_config(tmp_path, name='broken.py', text='a = 1\nb = dict(x=1\n')
    assert load_error(path).startswith(f'{path}, line 2: syntax error: ')


def test_broken_registry_location_raises_loudly(tmp_path, monkeypatch):
    (tmp_path / 'strict_broken_location.py').write_text('import strict_no_such_module\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(MODELS, '_locations', [*MODELS._locations, 'strict_broken_location'])
    monkeypatch.setattr(MODELS, '_imported', False)
    with pytest.raises(ModuleNotFoundError, match='strict_no_such_module'):
        load_config(write_config(tmp_path))
