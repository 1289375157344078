"""A checkpoint served over 127.0.0.1 loads through every entry point that names one:
``pretrained=``, ``load_from``, tools/test.py, tools/infer.py, init_model and the converters;
an MMSegmentation model-zoo checkpoint (its recorded key layout) tests directly."""
import hashlib
import os
import os.path as osp
from collections import OrderedDict

import pytest
import torch

from segkit.apis import init_model, run_train
from segkit.config import load_config
from segkit.registry import MODELS
from tests.demo_model import demo_config
from tests.checkpoint import mmseg_reference_keys as ref
from tests.file_server import file_server, hub_cache  # noqa: F401 (fixtures)
from tests.helpers import REPO
from tests.tiny_training import QUICKSTART, tiny_options
from tests.tools.tool_loader import load_tool

test_tool = load_tool('test.py')
infer = load_tool('infer.py')
mmseg2segkit = load_tool('model_converters/mmseg2segkit.py')
trust = load_tool('model_converters/trust_checkpoint.py')

NORM = dict(type='BN', requires_grad=True)
# An FCN auxiliary head on stage 3, as in MMSegmentation's D8 recipes (narrow for speed).
AUX_HEAD = dict(type='FCNHead', in_index=2, channels=32, num_convs=1, concat_input=False,
                num_classes=5, norm_cfg=NORM)


def mmseg_checkpoint(shapes: dict, path: str, seed: int = 0) -> OrderedDict:
    """A checkpoint as MMSegmentation 0.x publishes it (``meta``, ``state_dict`` in the
    recorded key layout, ``optimizer``), with random weights of the recorded shapes."""
    gen = torch.Generator().manual_seed(seed)
    state = OrderedDict()
    for key, shape in shapes.items():
        if key.endswith('num_batches_tracked'):
            state[key] = torch.tensor(100, dtype=torch.long)
        elif key.endswith('running_var'):
            state[key] = torch.rand(shape, generator=gen) + 0.5
        else:
            state[key] = torch.randn(shape, generator=gen) * 0.1
    meta = dict(mmseg_version='0.5.0+b72a6d0', mmcv_version='1.0rc0', iter=80000, epoch=160,
                config='model = dict(...)', env_info='sys.platform: linux', seed=0,
                CLASSES=('a', 'b', 'c', 'd', 'e'), PALETTE=[[0, 0, 0]] * 5,
                time='Sat Jun  6 11:34:04 2020')
    optimizer = dict(state={0: dict(momentum_buffer=torch.zeros(3))},
                     param_groups=[dict(lr=1e-4, momentum=0.9, weight_decay=5e-4,
                                        nesterov=False, params=[0])])
    torch.save(dict(meta=meta, state_dict=state, optimizer=optimizer), path)
    return state


def assert_weights(model, state: dict) -> None:
    own = model.state_dict()
    assert all(torch.equal(own[k], v) for k, v in state.items())


@pytest.fixture(scope='module')
def nonlocal_config(demo_root, tmp_path_factory) -> str:
    """configs/nonlocal_r18_demo.py with an FCN auxiliary head, on the tiny demo data."""
    return demo_config(demo_root, str(tmp_path_factory.mktemp('cfg') / 'nonlocal.py'), {
        'model.auxiliary_head': dict(AUX_HEAD, in_channels=256)},
        base=osp.join(REPO, 'configs', 'nonlocal_r18_demo.py'))


def test_tools_test_runs_an_mmseg_zoo_checkpoint_by_url(nonlocal_config, file_server,
                                                        hub_cache, tmp_path, capsys):
    shapes = {**ref.resnet_v1c(18), **ref.nl_head(512, 128, 5),
              **ref.fcn_aux_head(256, 32, 5)}
    state = mmseg_checkpoint(shapes, str(tmp_path / 'nonlocal.pth'))
    digest = hashlib.sha256((tmp_path / 'nonlocal.pth').read_bytes()).hexdigest()
    name = f'nonlocal_r18-d8_demo_20200607_193518-{digest[:8]}.pth'  # as the zoo names them
    os.rename(tmp_path / 'nonlocal.pth', tmp_path / name)
    url = file_server.serve_file(f'/mmsegmentation/v0.5/{name}', str(tmp_path / name))
    test_tool.main([nonlocal_config, url, '--work-dir', str(tmp_path / 'work')])
    assert 'mIoU' in capsys.readouterr().out
    assert_weights(init_model(nonlocal_config, url), state)  # from the cache
    assert file_server.requests[f'/mmsegmentation/v0.5/{name}'] == 1
    assert os.listdir(hub_cache) == [name]


def test_init_model_loads_an_mmseg_deeplabv3_checkpoint_by_url(demo_root, file_server,
                                                               hub_cache, tmp_path):
    config = demo_config(demo_root, str(tmp_path / 'deeplabv3.py'), {
        'model.backbone.stem_channels': 64, 'model.backbone.base_channels': 64,
        'model.decode_head.in_channels': 512,
        'model.auxiliary_head': dict(AUX_HEAD, in_channels=256)})
    shapes = {**ref.resnet_v1c(18), **ref.aspp_head(512, 64, 5),
              **ref.fcn_aux_head(256, 32, 5)}
    state = mmseg_checkpoint(shapes, str(tmp_path / 'deeplabv3.pth'))
    url = file_server.serve_file('/deeplabv3.pth', str(tmp_path / 'deeplabv3.pth'))
    assert_weights(init_model(config, url), state)


@pytest.fixture(scope='module')
def segkit_checkpoint(demo_root, tmp_path_factory):
    """(config, checkpoint, state) of a random quarter-width quickstart model on the demo
    data."""
    folder = tmp_path_factory.mktemp('quickstart')
    widths = {k: v for k, v in tiny_options(demo_root, 'urls').items() if k.startswith('model.')}
    config = demo_config(demo_root, str(folder / 'quickstart.py'), widths)
    torch.manual_seed(1)
    model = MODELS.build(load_config(config).model)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, folder / 'random.pth')
    return config, str(folder / 'random.pth'), model.state_dict()


def test_tools_infer_and_init_model(segkit_checkpoint, file_server, hub_cache, demo_root,
                                    tmp_path):
    config, path, state = segkit_checkpoint
    url = file_server.serve_file('/quickstart.pth', path)
    image = osp.join(demo_root, 'JPEGImages', 'demo_val_0000.jpg')
    infer.main([config, url, image, '--out-dir', str(tmp_path / 'out')])
    assert os.listdir(tmp_path / 'out' / 'masks') == ['demo_val_0000.png']
    assert_weights(init_model(config, url), state)
    assert file_server.requests['/quickstart.pth'] == 1


def test_pretrained_backbone_weights_by_url(segkit_checkpoint, file_server, hub_cache,
                                            tmp_path):
    config, _, state = segkit_checkpoint
    backbone = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
    torch.save(backbone, tmp_path / 'imagenet.pth')  # an ImageNet file: bare backbone keys
    url = file_server.serve_file('/imagenet.pth', str(tmp_path / 'imagenet.pth'))
    model = MODELS.build(load_config(config, cfg_options={'model.pretrained': url}).model)
    model.init_weights()
    assert all(torch.equal(model.backbone.state_dict()[k], v) for k, v in backbone.items())


def test_load_from_url(segkit_checkpoint, file_server, hub_cache, demo_root, tmp_path):
    _, path, _ = segkit_checkpoint
    url = file_server.serve_file('/quickstart.pth', path)
    run_train(QUICKSTART, work_dir=str(tmp_path / 'work'), cfg_options=tiny_options(
        demo_root, 'load_from_url', load_from=url, **{'train_cfg.max_iters': 1}))
    assert file_server.requests['/quickstart.pth'] == 1
    assert os.listdir(hub_cache) == ['quickstart.pth']


def test_converters_read_urls(nonlocal_config, file_server, hub_cache, tmp_path, capsys):
    model = MODELS.build(load_config(nonlocal_config).model)
    torch.save({'meta': {'mmseg_version': '1.2.2'}, 'state_dict': model.state_dict()},
               tmp_path / 'mmseg.pth')
    url = file_server.serve_file('/mmseg.pth', str(tmp_path / 'mmseg.pth'))
    mmseg2segkit.main([url, nonlocal_config, str(tmp_path / 'converted.pth')])
    trust.main([url, str(tmp_path / 'trusted.pth')])
    out = capsys.readouterr().out
    assert f'wrote {tmp_path / "converted.pth"}' in out
    assert f'wrote {tmp_path / "trusted.pth"}' in out
    assert file_server.requests['/mmseg.pth'] == 1
