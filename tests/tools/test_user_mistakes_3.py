"""A third battery of user mistakes and faults: no loss, no hang, contradictory flags
refused, state that stays in its folder, errors aimed at the file at fault (exact texts)."""
import os
import os.path as osp
import shutil

import pytest

from segkit.datasets.demo_data import prepare_demo_data
from segkit.utils.errors import DataError

from tests.tools.test_user_mistakes import fails


def files(root: str) -> dict:
    """Relative path -> bytes of every file under ``root``."""
    return {osp.relpath(osp.join(d, n), root): open(osp.join(d, n), 'rb').read()
            for d, _, names in os.walk(root) for n in names}


# Data loss.

def test_demo_copy_with_the_users_photos_is_not_regenerated(demo_root, tmp_path):
    """A copy of the demo folder (marker included) whose images are the user's photos,
    asked for other sizes: refused, every file kept."""
    data = shutil.copytree(demo_root, str(tmp_path / 'mine'))
    with open(osp.join(data, 'JPEGImages/demo_train_0000.jpg'), 'wb') as f:
        f.write(b'my holiday photo')
    with open(osp.join(data, 'JPEGImages/IMG_0001.jpg'), 'wb') as f:
        f.write(b'another photo')
    before = files(data)
    fails(DataError, f'{data} holds files that the demo data generator did not write '
          '(JPEGImages/IMG_0001.jpg added, JPEGImages/demo_train_0000.jpg changed); generating '
          'the demo data there would replace them, so it stops. For your own data in the VOC '
          'layout use PascalVOCDataset; for the demo data choose an empty or new data_root',
          prepare_demo_data, data, num_train=4, num_val=2, size=32)
    assert files(data) == before


def test_demo_folder_of_an_older_segkit_is_not_replaced(demo_root, tmp_path):
    data = shutil.copytree(demo_root, str(tmp_path / 'old'))
    with open(osp.join(data, '.complete'), 'w') as f:
        f.write('{"version": 2, "num_train": 24, "num_val": 8, "size": 64, "seed": 0}')
    before = files(data)
    fails(DataError, f'{data} holds files that the demo data generator did not write (its '
          '.complete marker, from an older segkit, does not list the files it wrote); '
          'generating the demo data there would replace them, so it stops. For your own data '
          'in the VOC layout use PascalVOCDataset; for the demo data choose an empty or new '
          'data_root', prepare_demo_data, data, num_train=4, num_val=2, size=32)
    assert files(data) == before
    assert prepare_demo_data(data, num_train=24, num_val=8, size=64) == data  # same sizes: used


def test_demo_folder_it_wrote_is_regenerated_in_place(demo_root, tmp_path):
    data = shutil.copytree(demo_root, str(tmp_path / 'demo'))
    prepare_demo_data(data, num_train=4, num_val=2, size=32)
    assert sorted(os.listdir(osp.join(data, 'JPEGImages'))) == [
        'demo_train_0000.jpg', 'demo_train_0001.jpg', 'demo_train_0002.jpg',
        'demo_train_0003.jpg', 'demo_val_0000.jpg', 'demo_val_0001.jpg']
    assert sorted(os.listdir(tmp_path)) == ['demo']
