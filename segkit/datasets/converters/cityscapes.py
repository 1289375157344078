"""Cityscapes ``gtFine`` -> ``*_gtFine_labelTrainIds.png`` and split lists.

Each ``*_gtFine_polygons.json`` is drawn with cityscapesscripts' ``json2labelImg(...,
'trainIds')`` (as the official ``createTrainIdLabelImgs.py`` does); where a frame has no
polygons, its ``*_gtFine_labelIds.png`` is mapped through cityscapesscripts' label table
(ids whose train id is 255 or -1 become 255). ``<split>.txt`` lists the frames of each
split as ``<city>/<city>_xxxxxx_yyyyyy``, relative to the split folder, as
MMSegmentation writes them.
"""
import contextlib
import io
import os
import os.path as osp
from typing import List, Tuple

from cityscapesscripts.preparation.json2labelImg import json2labelImg
from PIL import Image

from segkit.utils.errors import DataError
from segkit.utils.unreadable import read_png, why_unreadable

from ..cityscapes_labels import LABEL_IDS_SUFFIX, TRAIN_IDS_SUFFIX, label_id_to_train_id
from .parallel import map_with_progress

GT_DIR = 'gtFine'
POLYGONS_SUFFIX = '_gtFine_polygons.json'
HINT = ('Download gtFine_trainvaltest.zip and leftImg8bit_trainvaltest.zip from '
        'https://www.cityscapes-dataset.com/downloads/ and extract them into data/cityscapes.')


def _convert(task: Tuple[str, str]) -> None:
    """Write the train-id label of one frame from its polygons or its label-id PNG."""
    source, out_path = task
    if source.endswith(POLYGONS_SUFFIX):
        captured = io.StringIO()
        try:
            with contextlib.redirect_stdout(captured):
                json2labelImg(source, out_path, 'trainIds')
        except SystemExit:  # cityscapesscripts prints an error and exits
            raise DataError(f'cannot convert {source}: '
                            f'{captured.getvalue().strip().splitlines()[0]}') from None
        except ValueError as e:  # json's decode errors
            raise DataError(f'cannot convert {source}: '
                            f'{why_unreadable(source, "JSON file", e)}') from None
        except (KeyError, TypeError, OSError) as e:
            raise DataError(f'cannot convert {source}: {type(e).__name__}: {e}') from None
    else:
        label_ids = read_png(source, 'cannot convert')
        if label_ids.ndim != 2:
            raise DataError(f'{source} has shape {label_ids.shape}; expected a single-channel '
                            'PNG of Cityscapes label ids')
        Image.fromarray(label_id_to_train_id()[label_ids]).save(out_path)


def _find_frames(gt_root: str) -> List[Tuple[str, str]]:
    """``(source, output)`` for every frame under ``gt_root``; polygons preferred."""
    tasks = []
    for root, _, files in sorted(os.walk(gt_root)):
        names = set(files)
        for name in sorted(names):
            if name.endswith(POLYGONS_SUFFIX):
                stem = name[:-len(POLYGONS_SUFFIX)]
            elif name.endswith(LABEL_IDS_SUFFIX) and \
                    name[:-len(LABEL_IDS_SUFFIX)] + POLYGONS_SUFFIX not in names:
                stem = name[:-len(LABEL_IDS_SUFFIX)]
            else:
                continue
            tasks.append((osp.join(root, name), osp.join(root, stem + TRAIN_IDS_SUFFIX)))
    return tasks


def convert_cityscapes(data_root: str, nproc: int = 1) -> dict:
    """Make ``*_gtFine_labelTrainIds.png`` for every frame and write ``<split>.txt`` lists.

    Args:
        data_root: ``data/cityscapes`` (holding ``gtFine/<split>/<city>/``).
        nproc: processes converting the frames.

    Returns:
        Counts: ``from_polygons`` and ``from_label_ids`` converted frames, and ``splits``
        (``{split: number of ids}``).
    """
    gt_root = osp.join(data_root, GT_DIR)
    if not osp.isdir(gt_root):
        raise DataError(f'folder not found: {gt_root}. {HINT}')
    tasks = _find_frames(gt_root)
    if not tasks:
        raise DataError(f'no *{POLYGONS_SUFFIX} or *{LABEL_IDS_SUFFIX} under {gt_root}. {HINT}')
    map_with_progress(_convert, tasks, nproc=nproc)

    splits = {}
    for split in sorted(os.listdir(gt_root)):
        split_dir = osp.join(gt_root, split)
        ids = sorted(osp.relpath(out, split_dir)[:-len(TRAIN_IDS_SUFFIX)]
                     for _, out in tasks if out.startswith(split_dir + os.sep))
        if ids:
            with open(osp.join(data_root, f'{split}.txt'), 'w') as f:
                f.writelines(i + '\n' for i in ids)
            splits[split] = len(ids)
    from_polygons = sum(source.endswith(POLYGONS_SUFFIX) for source, _ in tasks)
    return dict(from_polygons=from_polygons, from_label_ids=len(tasks) - from_polygons,
                splits=splits)
