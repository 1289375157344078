"""A second battery of user mistakes and faults: nothing is lost, nothing hangs, every
mistake gets one clear message (exact texts)."""
import fcntl
import os
import os.path as osp
import pickle
import shutil
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from segkit.apis import run_test, run_train
from segkit.config import load_config
from segkit.datasets import PascalVOCDataset
from segkit.datasets.base_seg_dataset import read_split_list
from segkit.datasets.transforms import LoadAnnotations, LoadImageFromFile
from segkit.registry import MODELS
from segkit.checkpoint import safe_load
from segkit.utils.cli import run_cli
from segkit.utils.errors import CheckpointError, ConfigError, DataError

from tests.tiny_training import QUICKSTART, cli_options, run_tool
from tests.tools.test_user_mistakes import fails, one_line_error, options, train


@pytest.fixture
def data(demo_root, tmp_path) -> str:
    return shutil.copytree(demo_root, str(tmp_path / 'data'))


def contents(folder) -> dict:
    """File name -> bytes of every file directly in ``folder``."""
    return {n: open(osp.join(folder, n), 'rb').read() for n in sorted(os.listdir(folder))
            if osp.isfile(osp.join(folder, n))}


def weights(data: str, path: str) -> str:
    """A weights-only checkpoint of the tiny quick-start model."""
    torch.save({'state_dict': MODELS.build(load_config(QUICKSTART, options(data)).model)
                .state_dict()}, path)
    return path


# Data loss.

def test_demo_dataset_keeps_a_users_voc_folder(data, tmp_path):
    os.remove(osp.join(data, '.complete'))  # the user's own data: no generator marker
    before = {sub: contents(osp.join(data, sub)) for sub in ('JPEGImages', 'SegmentationClass')}
    fails(DataError, f'{data} holds files that the demo data generator did not write (no '
          '.complete marker); generating the demo data there would replace them, so it stops. '
          'For your own data in the VOC layout use PascalVOCDataset; for the demo data choose '
          'an empty or new data_root', train, data, tmp_path / 'work')
    assert {sub: contents(osp.join(data, sub)) for sub in before} == before


def test_out_into_the_label_folder_is_refused(data, tmp_path):
    labels = osp.join(data, 'SegmentationClass')
    before = contents(labels)
    checkpoint = weights(data, str(tmp_path / 'model.pth'))
    fails(ConfigError, f'--out {labels} already holds files that segkit did not write '
          '(demo_train_0000.png, demo_train_0001.png, demo_train_0002.png (+29 more)); '
          "predictions would overwrite files of the same name (a dataset's labels?). Choose a "
          'new or empty folder', run_test, QUICKSTART, checkpoint,
          work_dir=str(tmp_path / 'test'), out=labels, cfg_options=options(data))
    assert contents(labels) == before
    fails(ConfigError, f'--out and --show-dir are both {tmp_path}/p: the panels would overwrite '
          'the predictions; choose two folders', run_test, QUICKSTART, checkpoint,
          work_dir=str(tmp_path / 'test'), out=f'{tmp_path}/p', show_dir=f'{tmp_path}/p',
          cfg_options=options(data))


def test_out_into_its_own_earlier_output_works(data, tmp_path):
    checkpoint = weights(data, str(tmp_path / 'model.pth'))
    out = str(tmp_path / 'out')
    for _ in range(2):
        run_test(QUICKSTART, checkpoint, work_dir=str(tmp_path / 'test'), out=out,
                 cfg_options=options(data, **{'test_dataloader.dataset.indices': 2}))
    assert sorted(os.listdir(out)) == ['.segkit-predictions', 'demo_val_0000.png',
                                       'demo_val_0001.png']


def test_new_training_does_not_overwrite_an_earlier_one(data, tmp_path):
    work = tmp_path / 'work'
    train(data, work, **{'train_cfg.max_iters': 1})
    before = contents(work)
    fails(ConfigError, f'work dir {work} holds the checkpoints of an earlier training '
          '(iter_1.pth, last_checkpoint), continue it with --resume, train over it with '
          '--overwrite, or choose another --work-dir', train, data, work,
          **{'train_cfg.max_iters': 1})
    assert contents(work) == before
    runner = run_train(QUICKSTART, work_dir=str(work), overwrite=True,
                       cfg_options=options(data, **{'train_cfg.max_iters': 1}))
    assert runner.iter == 1


def test_resume_with_only_a_best_checkpoint_left(data, tmp_path):
    work = tmp_path / 'work'
    work.mkdir()
    (work / 'best_mIoU_iter_300.pth').write_bytes(b'weights')
    fails(ConfigError, f'work dir {work} holds the checkpoints of an earlier training '
          '(best_mIoU_iter_300.pth), none to resume from (iter_N.pth); train over it with '
          '--overwrite, or choose another --work-dir', train, data, work, resume='auto')
    assert (work / 'best_mIoU_iter_300.pth').read_bytes() == b'weights'


def test_second_training_in_a_work_dir_in_use_is_refused(data, tmp_path):
    work = tmp_path / 'work'
    work.mkdir()
    with open(work / '.lock', 'w') as lock:  # what a running training holds
        lock.write('pid 4242 on node7\n')
        lock.flush()
        fcntl.flock(lock, fcntl.LOCK_EX)
        fails(ConfigError, f'work dir {work} is in use by another training (pid 4242 on '
              'node7); wait for it to end, or choose another --work-dir', train, data, work)
    assert sorted(os.listdir(work)) == ['.lock']
    assert train(data, work, **{'train_cfg.max_iters': 1}).iter == 1  # lock released


def test_lock_is_released_after_a_failed_training(data, tmp_path):
    work = tmp_path / 'work'
    with pytest.raises(ConfigError):
        train(data, work, **{'model.decode_head.num_classes': 3})
    assert train(data, work, **{'train_cfg.max_iters': 1}).iter == 1


# Hangs.

def test_infinite_sampler_with_epochs(tmp_path):
    fails(ConfigError, f"{QUICKSTART}: 'train_dataloader.sampler.type' is InfiniteSampler but "
          'train_cfg is epoch-based: an epoch would never end; use '
          "dict(type='DefaultSampler', shuffle=True), or "
          "train_cfg=dict(type='IterBasedTrainLoop', max_iters=...)",
          load_config, QUICKSTART, {'train_cfg': dict(type='EpochBasedTrainLoop', max_epochs=2)})


def test_infinite_sampler_in_validation(tmp_path):
    for split in ('val', 'test'):
        fails(ConfigError, f"{QUICKSTART}: '{split}_dataloader.sampler.type' is InfiniteSampler: "
              f"the {split} loop would never end; use dict(type='DefaultSampler', shuffle=False)",
              load_config, QUICKSTART,
              {f'{split}_dataloader.sampler': dict(type='InfiniteSampler', shuffle=False)})


# Silent resume.

def test_resume_from_a_best_checkpoint(data, tmp_path):
    work = tmp_path / 'work'
    train(data, work, **{'train_cfg.max_iters': 1, 'train_cfg.val_begin': 1,
                         'train_cfg.val_interval': 1, 'val_dataloader.dataset.indices': 2,
                         'default_hooks.checkpoint.save_best': 'mIoU'})
    best = str(work / 'best_mIoU_iter_1.pth')
    fails(CheckpointError, f'cannot resume from {best}: it holds no optimizer and no '
          'learning-rate scheduler state (best_*.pth checkpoints keep weights only), so the '
          'learning rate and momentum would start over; resume from an iter_N.pth of the run, '
          f'or start a new training from these weights with load_from={best} and without '
          '--resume', train, data, work, resume=best, **{'train_cfg.max_iters': 2})


def test_resume_from_weights_only(data, tmp_path):
    path = weights(data, str(tmp_path / 'weights.pth'))
    fails(CheckpointError, f'cannot resume from {path}: it holds weights only, no training state '
          '(iteration, optimizer, schedulers); start a new training from these weights with '
          f'load_from={path} and without --resume', train, data, tmp_path / 'work', resume=path)


def test_resume_with_max_iters_reached(data, tmp_path):
    work = tmp_path / 'work'
    train(data, work, **{'train_cfg.max_iters': 2})
    fails(ConfigError, f'cannot resume from {work}/iter_2.pth: it was saved at iter 2 and '
          'train_cfg.max_iters is 1, so nothing is left to train; set train_cfg.max_iters '
          'above 2 to train longer', train, data, work, resume='auto',
          **{'train_cfg.max_iters': 1})


# The error path: what the file is.

def _zip(path):
    with zipfile.ZipFile(path, 'w') as archive:
        archive.writestr('model/weights.npy', b'\0' * 64)


def _truncated(path):
    torch.save({'state_dict': {'w': torch.zeros(1000)}}, path)
    with open(path, 'r+b') as f:
        f.truncate(2000)


@pytest.mark.parametrize('make, what', [
    (lambda p: open(p, 'wb').close(),
     'the file is empty (0 bytes; an interrupted download or copy?); download or copy it again'),
    (_truncated, 'it is a zip archive cut short (truncated: an interrupted download?); download '
                 'or save it again'),
    (lambda p: open(p, 'w').write('<!DOCTYPE html>\n<html><body>Sign in</body></html>'),
     'it is an HTML page, not a checkpoint (the download returned a web page: a login, redirect '
     'or error page?); download the file itself'),
    (lambda p: open(p, 'w').write('version https://git-lfs.github.com/spec/v1\noid sha256:ab\n'),
     'it is a Git LFS pointer, not the file itself; run: git lfs pull'),
    (lambda p: open(p, 'w').write('resnet weights\n'),
     "it is a text file, not a checkpoint (it starts with 'resnet weights')"),
    (_zip, 'it is a zip archive but not a PyTorch checkpoint (it holds model/weights.npy)'),
    (lambda p: pickle.dump({'w': [1.0]}, open(p, 'wb')),
     'it is a Python pickle that is not a torch.save file, or one cut short (truncated); '
     'download or save it again, or re-save its tensors with torch.save'),
])
def test_unreadable_checkpoint_says_what_the_file_is(tmp_path, make, what):
    path = str(tmp_path / 'model.pth')
    make(path)
    fails(CheckpointError, f'cannot read checkpoint {path}: {what}', safe_load, path)


# Values handed to torch: checked with their dotted key.

@pytest.mark.parametrize('key, value, expected', [
    ('train_dataloader.batch_size', 0, 'a whole number >= 1, got int 0'),
    ('train_dataloader.batch_size', '8', "a whole number >= 1, got str '8'"),
    ('val_dataloader.num_workers', -1, 'a whole number >= 0, got int -1'),
    ('train_dataloader.shuffle', 'yes', "True or False, got str 'yes'"),
    ('optim_wrapper.optimizer.lr', '1e-2', "a number >= 0, got str '1e-2'"),
    ('optim_wrapper.optimizer.momentum', -0.9, 'a number >= 0, got float -0.9'),
])
def test_loader_and_optimizer_values(key, value, expected):
    fails(ConfigError, f"{QUICKSTART}: '{key}' expects {expected}", load_config, QUICKSTART,
          {key: value})


def test_persistent_workers_without_workers():
    fails(ConfigError, f"{QUICKSTART}: 'train_dataloader.persistent_workers' is True but "
          'num_workers is 0; set persistent_workers=False, or num_workers >= 1',
          load_config, QUICKSTART, {'train_dataloader.num_workers': 0})


# Not SegkitError: still one line.

def test_cfg_options_that_cannot_be_set():
    fails(ConfigError, "--cfg-options train_dataloader.dataset.pipeline.9.crop_size=(64, 64): "
          f'cannot set it in {QUICKSTART}: Index 9 exceeds the length of list', load_config,
          QUICKSTART, {'train_dataloader.dataset.pipeline.9.crop_size': (64, 64)})
    fails(ConfigError, f"--cfg-options model.backbone.depth.x=1: cannot set it in {QUICKSTART}: "
          "depth={'x': 1} in child config cannot inherit from base because depth is a dict in "
          "the child config but is of type <class 'int'> in base config.", load_config,
          QUICKSTART, {'model.backbone.depth.x': 1})


def test_recursive_base(tmp_path):
    (tmp_path / 'a.py').write_text("_base_ = ['b.py']\n")
    (tmp_path / 'b.py').write_text("_base_ = ['a.py']\n")
    a, b = str(tmp_path / 'a.py'), str(tmp_path / 'b.py')
    fails(ConfigError, f'{a}: _base_ files include each other in a loop: {a} -> {b} -> {a}; '
          'remove one of these _base_ entries', load_config, a)


def test_arguments_in_the_wrong_order(data, tmp_path):
    checkpoint = weights(data, str(tmp_path / 'model.pth'))
    fails(ConfigError, f'{checkpoint} is not a config file (.py): the config comes first, e.g. '
          'tools/test.py CONFIG CHECKPOINT', run_test, checkpoint, QUICKSTART)


def test_error_raised_by_the_config_code(tmp_path):
    path = tmp_path / 'cfg.py'
    path.write_text('model = dict(type=ASPPHead)\n')
    fails(ConfigError, f"{path}: cannot load the config: NameError: name 'ASPPHead' is not "
          'defined', load_config, str(path))


def test_interrupt_during_a_checkpoint_save_is_an_interrupt(capsys):
    def main():  # what mmengine's Config.pretty_text does with a Ctrl-C during a save
        try:
            raise KeyboardInterrupt
        except:  # noqa: E722
            raise SyntaxError('Failed to format the config file, please check the syntax of: '
                              '...')

    with pytest.raises(SystemExit) as info:
        run_cli(main)
    assert info.value.code == 130
    assert capsys.readouterr().err == ('error: interrupted; checkpoints already written are '
                                       'whole (continue a training with --resume)\n')


def test_dead_loader_worker_during_a_checkpoint_save(capsys):
    def main():  # torch's SIGCHLD handler raises in the main thread, wherever it is
        try:
            raise RuntimeError('DataLoader worker (pid(s) 4242) exited unexpectedly')
        except:  # noqa: E722
            raise SyntaxError('Failed to format the config file, please check the syntax of: '
                              '...')

    with pytest.raises(SystemExit) as info:
        run_cli(main)
    assert info.value.code == 1
    assert capsys.readouterr().err == ('error: DataLoader worker (pid(s) 4242) exited '
                                       'unexpectedly (out of memory? try fewer '
                                       'train_dataloader.num_workers or a smaller batch_size)\n')


def test_os_error_in_a_tool_is_one_line(capsys):
    def main():
        os.makedirs('/proc/segkit-not-here')

    with pytest.raises(SystemExit) as info:
        run_cli(main)
    assert info.value.code == 2
    assert capsys.readouterr().err.startswith('error: /proc/segkit-not-here: ')


def test_tools_print_one_line_for_these(data, tmp_path):
    proc = run_tool('tools/train.py', QUICKSTART, '--cfg-options', 'train_cfg.max_iters')
    assert proc.returncode == 2 and 'Traceback' not in proc.stderr
    assert proc.stderr.splitlines()[-1] == ("train.py: error: argument --cfg-options: cannot "
                                            "parse 'train_cfg.max_iters': expected KEY=VALUE")
    work = tmp_path / 'work'
    train(data, work, **{'train_cfg.max_iters': 1})
    proc = run_tool('tools/train.py', QUICKSTART, '--work-dir', str(work), '--cfg-options',
                    *cli_options(options(data, **{'train_cfg.max_iters': 1})))
    assert one_line_error(proc).startswith(f'work dir {work} holds the checkpoints of an '
                                           'earlier training (iter_1.pth, last_checkpoint), ')


# Inputs as people produce them.

def test_phone_photo_stored_rotated_is_refused_with_its_label(tmp_path):
    image, label = str(tmp_path / 'photo.jpg'), str(tmp_path / 'photo.png')
    photo = Image.fromarray(np.zeros((40, 60, 3), np.uint8))
    exif = photo.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    photo.save(image, exif=exif.tobytes())
    Image.fromarray(np.zeros((40, 60), np.uint8)).save(label)
    results = LoadImageFromFile()(dict(img_path=image, seg_map_path=label))
    assert results['img'].shape == (60, 40, 3)  # upright, as viewers show it
    fails(DataError, f'image {image} is stored rotated or mirrored (EXIF orientation 6) and '
          f'read upright as 40x60 (w x h), as viewers show it; its label {label} (60x40) has no '
          'orientation, so they may not line up. Save the image upright once (PIL: '
          'ImageOps.exif_transpose(image).save(...)), checking that the label fits it',
          LoadAnnotations(), results)


def test_jpeg_label_is_refused(tmp_path):
    path = str(tmp_path / 'label.png')  # named .png, saved as JPEG
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(path, format='JPEG')
    fails(DataError, f'label {path} is a JPEG: lossy compression changes the class indices '
          'along every edge; save labels as PNG', LoadAnnotations(), dict(seg_map_path=path))


def test_split_list_from_a_windows_editor(tmp_path):
    path = tmp_path / 'train.txt'
    path.write_bytes('\ufeffa_0001 \r\nb_0002\t\r\n\r\n'.encode('utf-8'))
    assert read_split_list(str(path), '') == ['a_0001', 'b_0002']


def test_relative_data_root_names_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fails(DataError, "PascalVOCDataset: data root 'data/VOCdevkit/VOC2012' does not exist "
          f'(relative to the current folder {tmp_path}). {PascalVOCDataset.DOWNLOAD_HINT}',
          PascalVOCDataset, data_root='data/VOCdevkit/VOC2012',
          ann_file='ImageSets/Segmentation/train.txt')
