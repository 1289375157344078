"""BaseSegDataset: lists of (image, label) paths from a split file or a folder scan."""
import os
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

from mmengine.dataset import BaseDataset

from segkit.utils.errors import DataError


def read_split_list(path: str, hint: str) -> List[str]:
    """Ids in a split list, one a line; fails naming the file (and ``hint``, how to get
    it) when it is missing, and naming it when it is empty."""
    if not osp.isfile(path):
        raise DataError(f'split list not found: {path}. {hint}')
    with open(path, encoding='utf-8-sig') as f:  # a BOM, CRLF and trailing spaces are dropped
        ids = [line.strip() for line in f if line.strip()]
    if not ids:
        raise DataError(f'split list is empty: {path}')
    return ids


class BaseSegDataset(BaseDataset):
    """A segmentation dataset: image and label paths, and the label conventions.

    With ``ann_file`` (a split list of ids, one per line) each id names
    ``<img_path>/<id><img_suffix>`` and ``<seg_map_path>/<id><seg_map_suffix>``; without it
    ``data_prefix['img_path']`` is scanned recursively for ``img_suffix``. Every listed file
    must exist, so a broken list fails at start, naming the file.

    Each sample's info holds ``img_path``, ``seg_map_path``, ``reduce_zero_label``,
    ``num_classes`` and ``ignore_index``; :class:`LoadAnnotations` checks labels with them.

    Args:
        data_root: dataset root; relative paths below are joined to it.
        ann_file: split list, or '' to scan the image folder.
        data_prefix: ``dict(img_path=..., seg_map_path=...)`` folders.
        img_suffix: image file suffix.
        seg_map_suffix: label file suffix.
        metainfo: ``dict(classes=..., palette=...)`` overriding the class's ``METAINFO``.
        pipeline: transforms.
        reduce_zero_label: labels count from 1 and 0 is ignored (ADE20K style).
        ignore_index: label value to ignore.
        test_mode: no ground truth required (scan mode only) and no refetching.
        lazy_init: defer loading the file lists.
        serialize_data: keep the lists in one buffer (cheap to share with workers).
        indices: keep only these samples (an int keeps the first n).
        max_refetch: retries when a transform returns None.
    """

    METAINFO: dict = dict(classes=(), palette=())
    DOWNLOAD_HINT = ''

    def __init__(self, data_root: str, ann_file: str = '',
                 data_prefix: dict = dict(img_path='', seg_map_path=''),
                 img_suffix: str = '.jpg', seg_map_suffix: str = '.png',
                 metainfo: Optional[dict] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 reduce_zero_label: bool = False, ignore_index: int = 255,
                 test_mode: bool = False, lazy_init: bool = False, serialize_data: bool = True,
                 indices: Optional[Union[int, Sequence[int]]] = None, max_refetch: int = 1000):
        if not osp.isdir(data_root):
            where = '' if osp.isabs(data_root) else \
                f' (relative to the current folder {os.getcwd()})'
            raise DataError(f'{type(self).__name__}: data root {data_root!r} does not exist'
                            f'{where}. {self.DOWNLOAD_HINT}')
        self.img_suffix = img_suffix
        self.seg_map_suffix = seg_map_suffix
        self.reduce_zero_label = reduce_zero_label
        self.ignore_index = ignore_index
        super().__init__(ann_file=ann_file, metainfo=metainfo, data_root=data_root,
                         data_prefix=dict(data_prefix), pipeline=list(pipeline),
                         test_mode=test_mode, lazy_init=lazy_init,
                         serialize_data=serialize_data, indices=indices, max_refetch=max_refetch)
        self.num_classes = len(self.metainfo['classes'])

    def _info(self, img_path: str, seg_map_path: Optional[str]) -> dict:
        return dict(img_path=img_path, seg_map_path=seg_map_path,
                    reduce_zero_label=self.reduce_zero_label,
                    num_classes=len(self._metainfo['classes']), ignore_index=self.ignore_index,
                    seg_fields=[])

    def load_data_list(self) -> List[dict]:
        img_dir = self.data_prefix.get('img_path', '')
        seg_dir = self.data_prefix.get('seg_map_path', '')
        for folder in (img_dir, seg_dir):
            if folder and not osp.isdir(folder) and not (self.test_mode and folder == seg_dir):
                raise DataError(f'{type(self).__name__}: folder {folder!r} does not exist. '
                                f'{self.DOWNLOAD_HINT}')
        if self.ann_file:
            ids = read_split_list(self.ann_file, self.DOWNLOAD_HINT)
            pairs = [(osp.join(img_dir, i + self.img_suffix),
                      osp.join(seg_dir, i + self.seg_map_suffix)) for i in ids]
        else:
            pairs = self._scan(img_dir, seg_dir)
        if not pairs:
            raise DataError(f'{type(self).__name__}: no images ending in {self.img_suffix!r} '
                            f'under {img_dir!r}. {self.DOWNLOAD_HINT}')
        for img_path, seg_path in pairs:
            if not osp.isfile(img_path):
                raise DataError(f'image listed in {self.ann_file or img_dir} not found: {img_path}')
            if seg_path is not None and not osp.isfile(seg_path):
                raise DataError(f'label for {img_path} not found: {seg_path}. '
                                f'{self.DOWNLOAD_HINT}')
        return [self._info(img, seg) for img, seg in pairs]

    def _scan(self, img_dir: str, seg_dir: str) -> list:
        pairs = []
        for root, _, files in sorted(os.walk(img_dir)):
            for name in sorted(files):
                if not name.endswith(self.img_suffix):
                    continue
                rel = osp.relpath(osp.join(root, name), img_dir)[:-len(self.img_suffix)]
                seg = osp.join(seg_dir, rel + self.seg_map_suffix)
                pairs.append((osp.join(root, name),
                              None if self.test_mode and not osp.isfile(seg) else seg))
        return pairs

