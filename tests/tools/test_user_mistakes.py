"""User mistakes: each fails with one clear message (or is handled), and loses nothing written.

Most run in-process through segkit.apis on a copy of the tiny demo data; a few go through
the command-line tools to check that the user sees one line and no traceback.
"""
import errno
import glob
import os
import os.path as osp
import shutil
import uuid

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from segkit.apis import run_test, run_train
from segkit.config import load_config
from segkit.datasets import PascalVOCDataset
from segkit.datasets.transforms import LoadAnnotations, LoadImageFromFile
from segkit.registry import MODELS
from segkit.utils.errors import CheckpointError, ConfigError, DataError

from tests.tiny_training import LOADERS, QUICKSTART, cli_options, run_tool, tiny_options

TRAIN_LIST = 'ImageSets/Segmentation/train.txt'
NO_CHECKPOINTS = {'default_hooks.checkpoint.interval': 0,
                  'default_hooks.checkpoint.save_last': False}


@pytest.fixture
def data(demo_root, tmp_path) -> str:
    """A copy of the demo data to break (its marker matches, so it is not regenerated)."""
    return shutil.copytree(demo_root, str(tmp_path / 'data'))


def options(data_root: str, **overrides) -> dict:
    """Tiny options under a new experiment name (each run gets its own log file), without
    validation; the first training sample is demo_train_0000 (no shuffling)."""
    return tiny_options(data_root, f'mistake-{uuid.uuid4().hex[:8]}',
                        **{'train_dataloader.sampler.shuffle': False, 'train_cfg.val_begin': 100,
                           **overrides})


def train(data_root: str, work_dir, resume=None, **overrides):
    return run_train(QUICKSTART, work_dir=str(work_dir), resume=resume,
                     cfg_options=options(data_root, **overrides))


def fails(error: type, message: str, call, *args, **kwargs) -> None:
    """``call`` raises ``error`` whose message is exactly ``message``."""
    with pytest.raises(error) as info:
        call(*args, **kwargs)
    assert str(info.value) == message


def one_line_error(proc) -> str:
    """The tool exited with status 2, printing one 'error: ...' line and no traceback."""
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith('error: ')]
    assert len(lines) == 1, proc.stderr[-3000:]
    return lines[0][len('error: '):]


def malicious_checkpoint(path: str, marker: str) -> str:
    """A checkpoint whose unpickling would create ``marker``."""
    class Payload:
        def __reduce__(self):
            return os.system, (f'touch {marker}',)
    torch.save({'state_dict': {}, 'payload': Payload()}, path)
    return path


# Config mistakes.

def test_typo_in_config_key(data, tmp_path):
    fails(ConfigError, f"{QUICKSTART}: unknown key 'model.decode_head.drop_out_ratio' for "
          "ASPPHead; did you mean 'dropout_ratio'?",
          train, data, tmp_path, **{'model.decode_head.drop_out_ratio': 0.2})


def test_unknown_type(data, tmp_path):
    fails(ConfigError, f"{QUICKSTART}: unknown type 'ASPPHeed' at 'model.decode_head.type' "
          "(searched registry 'model' in scopes segkit, mmengine); closest registered names: "
          'ASPPHead', train, data, tmp_path, **{'model.decode_head.type': 'ASPPHeed'})


def test_wrong_value_type(data, tmp_path):
    fails(ConfigError, f"{QUICKSTART}: 'model.decode_head.dropout_ratio' expects float, got str "
          "'high'", train, data, tmp_path, **{'model.decode_head.dropout_ratio': 'high'})


def test_missing_config_file(tmp_path):
    fails(ConfigError, 'config file not found: configs/quickstrat.py',
          run_train, 'configs/quickstrat.py', work_dir=str(tmp_path))


def test_num_classes_differs_from_the_dataset(data, tmp_path):
    fails(ConfigError, 'model.decode_head.num_classes is 3 but train_dataloader.dataset '
          '(DemoDataset) has 5 classes (background, horizontal, vertical, checker, diagonal); '
          "set num_classes=5, or the dataset's metainfo classes",
          train, data, tmp_path, **{'model.decode_head.num_classes': 3})


def test_zero_iterations(data, tmp_path):
    fails(ConfigError, 'train_cfg.max_iters=0: expected a whole number of iterations >= 1 '
          '(tools/test.py evaluates a checkpoint without training)',
          train, data, tmp_path, **{'train_cfg.max_iters': 0})


def test_launcher_pytorch_outside_torchrun(data, tmp_path, monkeypatch):
    for name in ('RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(name, raising=False)
    fails(ConfigError, '--launcher pytorch: RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, '
          'MASTER_PORT not set; start with torchrun --nproc_per_node=N (or '
          'tools/dist_train.sh, tools/dist_test.sh)',
          run_train, QUICKSTART, work_dir=str(tmp_path), cfg_options=options(data),
          launcher='pytorch')


# Data mistakes.

def test_missing_data_root(tmp_path):
    missing = str(tmp_path / 'VOC2012')
    voc = options(missing)
    for loader in LOADERS:
        for key in ('num_train', 'num_val', 'image_size'):
            del voc[f'{loader}.dataset.{key}']
        voc[f'{loader}.dataset.type'] = 'PascalVOCDataset'
    fails(DataError, f'PascalVOCDataset: data root {missing!r} does not exist. '
          f'{PascalVOCDataset.DOWNLOAD_HINT}',
          run_train, QUICKSTART, work_dir=str(tmp_path / 'work'), cfg_options=voc)


def test_empty_split_list(data, tmp_path):
    open(osp.join(data, TRAIN_LIST), 'w').close()
    fails(DataError, f'split list is empty: {osp.join(data, TRAIN_LIST)}',
          train, data, tmp_path / 'work')


def test_missing_image(data, tmp_path):
    image = osp.join(data, 'JPEGImages', 'demo_train_0003.jpg')
    os.remove(image)
    fails(DataError, f'image listed in {osp.join(data, TRAIN_LIST)} not found: {image}',
          train, data, tmp_path / 'work')


def test_corrupt_image(data, tmp_path):
    image = osp.join(data, 'JPEGImages', 'demo_train_0000.jpg')
    with open(image, 'wb') as f:
        f.write(b'these bytes are not an image')
    fails(DataError, f'cannot decode image (corrupt or not an image): {image}',
          train, data, tmp_path / 'work')


def test_truncated_image(data, tmp_path):
    image = osp.join(data, 'JPEGImages', 'demo_train_0000.jpg')
    with open(image, 'rb') as f:
        head = f.read()[:1000]
    with open(image, 'wb') as f:
        f.write(head)
    fails(DataError, f'truncated JPEG (no end-of-image marker after the last scan): {image}',
          train, data, tmp_path / 'work')


def test_label_size_differs_from_image(data, tmp_path):
    label = osp.join(data, 'SegmentationClass', 'demo_train_0000.png')
    Image.fromarray(np.zeros((32, 48), np.uint8), mode='L').save(label)
    image = osp.join(data, 'JPEGImages', 'demo_train_0000.jpg')
    fails(DataError, f'image {image} is 64x64 (w x h) but its label {label} is 48x32',
          train, data, tmp_path / 'work')


def test_label_values_out_of_range(data, tmp_path):
    label = osp.join(data, 'SegmentationClass', 'demo_train_0000.png')
    values = np.asarray(Image.open(label)).copy()
    values[:4, :4] = 7
    Image.fromarray(values, mode='L').save(label)
    fails(DataError, f'label {label} has values 7 outside 0..4 and ignore_index 255; check '
          'num_classes and reduce_zero_label, and that the PNG holds class indices (a palette '
          'or grayscale PNG), not colours converted to gray', train, data, tmp_path / 'work')


def test_16_bit_labels_are_read_when_their_values_fit(tmp_path):
    values = np.array([[0, 1, 4], [255, 2, 3]], np.uint16)
    path = str(tmp_path / 'label16.png')
    Image.fromarray(values).save(path)
    loaded = LoadAnnotations()(dict(seg_map_path=path, num_classes=5, ignore_index=255))
    assert loaded['gt_seg_map'].dtype == np.uint8
    np.testing.assert_array_equal(loaded['gt_seg_map'], values)
    Image.fromarray(np.array([[0, 300]], np.uint16)).save(path)
    fails(DataError, f'label {path} has values from 0 to 300; class indices must be in 0..255 '
          '(16-bit labels are read when their values fit)',
          LoadAnnotations(), dict(seg_map_path=path, num_classes=5, ignore_index=255))


def test_grayscale_and_rgba_images_load_as_3_channels(tmp_path):
    gray = np.arange(64 * 64, dtype=np.uint8).reshape(64, 64)
    bgra = np.dstack([gray, 255 - gray, gray // 2, np.full_like(gray, 128)])
    for name, pixels, expected in (('gray.png', gray, np.dstack([gray] * 3)),
                                   ('rgba.png', bgra, bgra[..., :3])):
        path = str(tmp_path / name)
        cv2.imwrite(path, pixels)
        image = LoadImageFromFile()(dict(img_path=path))['img']
        np.testing.assert_array_equal(image, expected)


def test_crop_larger_than_the_image_pads_and_trains(data, tmp_path):
    runner = train(data, tmp_path, **{'train_dataloader.dataset.pipeline.3.crop_size': (96, 96),
                                      'model.data_preprocessor.size': (96, 96),
                                      'train_cfg.max_iters': 1, **NO_CHECKPOINTS})
    inputs = []
    model = runner.model
    handle = model.backbone.register_forward_pre_hook(lambda m, args: inputs.append(args[0]))
    model.train()
    model.train_step(next(iter(runner.train_dataloader)), runner.optim_wrapper)
    handle.remove()
    assert runner.iter == 1 and inputs[0].shape[-2:] == (96, 96)


def test_batch_larger_than_the_dataset_wraps_around(data, tmp_path):
    runner = train(data, tmp_path, **{'train_dataloader.batch_size': 26,
                                      'train_cfg.max_iters': 1, **NO_CHECKPOINTS})
    assert runner.iter == 1


def test_batch_larger_than_the_dataset_with_drop_last(data, tmp_path):
    fails(DataError, 'train_dataloader yields no batch: batch_size 26 is larger than the 24 '
          'samples of DemoDataset and drop_last=True; lower batch_size or set drop_last=False',
          train, data, tmp_path, **{'train_dataloader.batch_size': 26,
                                    'train_dataloader.drop_last': True,
                                    'train_dataloader.sampler.type': 'DefaultSampler'})


# Checkpoint and work-dir mistakes.

def test_resume_from_a_missing_checkpoint(data, tmp_path):
    missing = str(tmp_path / 'iter_400.pth')
    fails(CheckpointError, f'--resume: checkpoint not found: {missing}',
          train, data, tmp_path, resume=missing)


def test_checkpoint_of_another_model(data, tmp_path):
    other = load_config(QUICKSTART, options(data, **{'model.decode_head.channels': 8}))
    path = str(tmp_path / 'other.pth')
    torch.save({'state_dict': MODELS.build(other.model).state_dict()}, path)
    fails(CheckpointError, f'{path} does not fit EncoderDecoder: 31 shape mismatches: '
          'decode_head.conv_seg.weight: checkpoint (5, 8, 1, 1) vs model (5, 16, 1, 1), '
          'decode_head.image_pool.1.conv.weight: checkpoint (8, 128, 1, 1) vs model '
          '(16, 128, 1, 1), decode_head.image_pool.1.bn.weight: checkpoint (8,) vs model (16,), '
          'decode_head.image_pool.1.bn.bias: checkpoint (8,) vs model (16,), '
          'decode_head.image_pool.1.bn.running_mean: checkpoint (8,) vs model (16,) (+26 '
          'more). Is it a checkpoint of this config?',
          run_test, QUICKSTART, path, work_dir=str(tmp_path / 'test'), cfg_options=options(data))


def test_malicious_checkpoint_is_refused_without_running_it(data, tmp_path):
    marker = tmp_path / 'payload_ran'
    path = malicious_checkpoint(str(tmp_path / 'evil.pth'), str(marker))
    fails(CheckpointError, f'refusing to load {path}: it needs arbitrary code to unpickle '
          f'({os.system.__module__}.system is not on the safe list). If you trust this file, '
          'convert it once to a safe file with: python '
          f'tools/model_converters/trust_checkpoint.py {path} OUTPUT.pth',
          train, data, tmp_path / 'work', resume=path)
    assert not marker.exists()


def test_truncated_checkpoint(data, tmp_path):
    path = str(tmp_path / 'cut.pth')
    torch.save({'state_dict': {'w': torch.zeros(1000)}}, path)
    with open(path, 'r+b') as f:
        f.truncate(2000)
    fails(CheckpointError, f'cannot read checkpoint {path}: it is a zip archive cut short '
          '(truncated: an interrupted download?); download or save it again',
          run_test, QUICKSTART, path, work_dir=str(tmp_path / 'test'), cfg_options=options(data))


def test_resume_with_a_changed_model(data, tmp_path):
    work = tmp_path / 'work'
    train(data, work, **{'train_cfg.max_iters': 1})
    checkpoint = str(work / 'iter_1.pth')
    before = open(checkpoint, 'rb').read()
    fails(ConfigError, f'cannot resume from {checkpoint}: the model config differs from the one '
          'it was trained with (model.decode_head.channels was 16, now 8). Resume with the same '
          f'model, or start a new training from these weights with load_from={checkpoint} and '
          'without --resume', train, data, work, resume='auto',
          **{'train_cfg.max_iters': 2, 'model.decode_head.channels': 8})
    assert open(checkpoint, 'rb').read() == before
    assert open(work / 'last_checkpoint').read() == checkpoint


def test_unwritable_work_dir(data, tmp_path):
    (tmp_path / 'a_file').write_text('')
    work = str(tmp_path / 'a_file' / 'work')
    fails(ConfigError, f'work dir {work} is not writable (Not a directory); choose another '
          'with --work-dir', train, data, work)


def test_full_disk_while_saving_keeps_the_previous_checkpoint(data, tmp_path, monkeypatch):
    fsync = os.fsync

    def full_disk_for_the_second_checkpoint(fd):
        if '.iter_2.pth.' in os.readlink(f'/proc/self/fd/{fd}'):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        fsync(fd)

    monkeypatch.setattr(os, 'fsync', full_disk_for_the_second_checkpoint)
    work = tmp_path / 'work'
    fails(CheckpointError, f'could not write {work}/iter_2.pth: No space left on device; the '
          'previous file is unchanged', train, data, work,
          **{'default_hooks.checkpoint.max_keep_ckpts': 1})
    monkeypatch.undo()
    assert sorted(p.name for p in work.iterdir() if p.suffix in ('.pth', '.tmp')) == ['iter_1.pth']
    assert open(work / 'last_checkpoint').read() == str(work / 'iter_1.pth')
    assert torch.load(work / 'iter_1.pth', weights_only=True)['meta']['iter'] == 1
    log = open(glob.glob(str(work / '*' / '*.log'))[0]).read()
    assert 'Iter(train) [2/2]' in log


# Through the command-line tools: one line, no traceback.

def test_tools_print_one_line(data, tmp_path):
    (tmp_path / 'a_file').write_text('')
    work = str(tmp_path / 'a_file' / 'work')
    proc = run_tool('tools/train.py', QUICKSTART, '--work-dir', work, '--cfg-options',
                    *cli_options(options(data)))
    assert one_line_error(proc) == (f'work dir {work} is not writable (Not a directory); '
                                    'choose another with --work-dir')

    marker = tmp_path / 'payload_ran'
    path = malicious_checkpoint(str(tmp_path / 'evil.pth'), str(marker))
    proc = run_tool('tools/test.py', QUICKSTART, path, '--work-dir', str(tmp_path / 'test'),
                    '--cfg-options', *cli_options(options(data)))
    assert one_line_error(proc).startswith(f'refusing to load {path}: it needs arbitrary code')
    assert not marker.exists()
