"""tools/dataset_converters/{voc_aug,cityscapes}.py from the command line, in parallel."""
import os.path as osp
import subprocess
import sys

from tests.dataset_trees import AUG, TRAINAUG, make_cityscapes_tree, make_voc_tree
from tests.helpers import REPO


def run_tool(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def test_voc_aug_tool(tmp_path):
    make_voc_tree(str(tmp_path))
    devkit = str(tmp_path / 'VOCdevkit')
    proc = run_tool('tools/dataset_converters/voc_aug.py', devkit,
                    osp.join(devkit, 'benchmark_RELEASE'), '--nproc', '2')
    assert proc.returncode == 0, proc.stderr
    assert '7 SBD labels converted, 5 VOC labels copied' in proc.stdout
    assert f'aug.txt: {len(AUG)} ids; trainaug.txt (VOC train + aug): {len(TRAINAUG)} ids' \
        in proc.stdout
    with open(osp.join(devkit, 'VOC2012', 'ImageSets', 'Segmentation', 'aug.txt')) as f:
        assert f.read().split() == AUG


def test_cityscapes_tool(tmp_path):
    expected = make_cityscapes_tree(str(tmp_path))
    root = str(tmp_path / 'cityscapes')
    proc = run_tool('tools/dataset_converters/cityscapes.py', root, '--nproc', '2')
    assert proc.returncode == 0, proc.stderr
    assert 'labelTrainIds: 5 frames from polygons, 1 from labelIds' in proc.stdout
    assert 'split lists: test.txt (1 ids), train.txt (3 ids), val.txt (2 ids)' in proc.stdout
    for key in expected:
        split, city, frame = key.split('/')
        assert osp.isfile(osp.join(root, 'gtFine', split, city,
                                   frame + '_gtFine_labelTrainIds.png'))
