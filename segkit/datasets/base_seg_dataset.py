"""BaseSegDataset: lists of (image, label) paths from a split file or a folder scan."""
import os
import os.path as osp
from collections import Counter
from typing import Callable, Dict, List, Optional, Sequence, Union

from mmengine.dataset import BaseDataset

from segkit.registry import DATASETS
from segkit.utils.errors import ConfigError, DataError
from segkit.visualization.palette import voc_palette


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


@DATASETS.register_module()
class BaseSegDataset(BaseDataset):
    """A segmentation dataset: image and label paths, and the label conventions.

    Used directly (``type='BaseSegDataset'``) it reads any folder of images and masks;
    ``metainfo`` must then name the classes, as a sequence or as a text file of names,
    one a line (a relative path is joined to ``data_root``). Without a palette, classes
    get the PASCAL VOC colours.

    With ``ann_file`` (a split list of ids, one per line) each id names
    ``<img_path>/<id><img_suffix>`` and ``<seg_map_path>/<id><seg_map_suffix>``; without it
    ``data_prefix['img_path']`` is scanned recursively for ``img_suffix``. Every listed file
    must exist, so a broken list fails at start, naming the file; in a folder scan, so
    must every mask's image.

    ``label_map`` maps raw mask values to class indices (``{255: 1}`` for 0/255 masks;
    other values are kept), after ``reduce_zero_label`` as in MMSegmentation. Masks stored
    as RGB colours are converted to class indices through the palette.

    Each sample's info holds ``img_path``, ``seg_map_path``, ``reduce_zero_label``,
    ``num_classes`` and ``ignore_index``; :class:`LoadAnnotations` checks labels with them.

    Args:
        data_root: dataset root; relative paths below are joined to it.
        ann_file: split list, or '' to scan the image folder.
        data_prefix: ``dict(img_path=..., seg_map_path=...)`` folders.
        img_suffix: image file suffix.
        seg_map_suffix: label file suffix.
        metainfo: ``dict(classes=..., palette=...)`` overriding the class's ``METAINFO``;
            ``classes`` may be the path of a text file of class names.
        pipeline: transforms.
        reduce_zero_label: labels count from 1 and 0 is ignored (ADE20K style).
        ignore_index: label value to ignore.
        label_map: raw mask value -> class index (or ``ignore_index``), or None.
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
                 label_map: Optional[Dict[int, int]] = None,
                 test_mode: bool = False, lazy_init: bool = False, serialize_data: bool = True,
                 indices: Optional[Union[int, Sequence[int]]] = None, max_refetch: int = 1000):
        if not osp.isdir(data_root):
            where = '' if osp.isabs(data_root) else \
                f' (relative to the current folder {os.getcwd()})'
            raise DataError(f'{type(self).__name__}: data root {data_root!r} does not exist'
                            f'{where}.{self._hint}')
        self.img_suffix = img_suffix
        self.seg_map_suffix = seg_map_suffix
        self.reduce_zero_label = reduce_zero_label
        self.ignore_index = ignore_index
        metainfo = self._classes_from_file(dict(metainfo or {}), data_root)
        super().__init__(ann_file=ann_file, metainfo=metainfo, data_root=data_root,
                         data_prefix=dict(data_prefix), pipeline=list(pipeline),
                         test_mode=test_mode, lazy_init=lazy_init,
                         serialize_data=serialize_data, indices=indices, max_refetch=max_refetch)
        self.num_classes = len(self.metainfo['classes'])
        self._check_metainfo()
        self.label_map = self._check_label_map(label_map)

    def _classes_from_file(self, metainfo: dict, data_root: str) -> dict:
        """``metainfo`` with ``classes`` read from a text file when it names one."""
        path = metainfo.get('classes')
        if not isinstance(path, str):
            return metainfo
        path = path if osp.isabs(path) else osp.join(data_root, path)
        if not osp.isfile(path):
            raise ConfigError(f'{type(self).__name__}: classes file not found: {path} '
                              '(metainfo classes: a list of names or a text file, one a line)')
        with open(path, encoding='utf-8-sig') as f:
            metainfo['classes'] = tuple(line.strip() for line in f if line.strip())
        return metainfo

    def _check_metainfo(self) -> None:
        """Classes must be named; a missing palette gets VOC colours."""
        name = type(self).__name__
        if not self.num_classes:
            raise ConfigError(f"{name}: metainfo has no classes; set metainfo=dict(classes=("
                              "'background', ...)) or classes='classes.txt' (one name a line)")
        palette = self._metainfo.get('palette') or voc_palette(self.num_classes)
        if len(palette) != self.num_classes or any(len(c) != 3 for c in palette):
            raise ConfigError(f'{name}: metainfo palette has {len(palette)} colours for '
                              f'{self.num_classes} classes; give one [r, g, b] per class')
        self._metainfo['palette'] = [list(c) for c in palette]

    def _check_label_map(self, label_map: Optional[Dict[int, int]]) -> Optional[Dict[int, int]]:
        """Every value of ``label_map`` must be a class index or ``ignore_index``."""
        if not label_map:
            return None
        label_map = {int(k): int(v) for k, v in label_map.items()}
        bad = {k: v for k, v in label_map.items()
               if not (0 <= v < self.num_classes or v == self.ignore_index) or k < 0}
        if bad:
            raise ConfigError(f'{type(self).__name__}: label_map {bad} maps to values that are '
                              f'neither a class index 0..{self.num_classes - 1} nor '
                              f'ignore_index {self.ignore_index}')
        return label_map

    def get_data_info(self, idx: int) -> dict:
        """A sample's info, with the dataset's ``label_map`` and ``palette`` for
        :class:`LoadAnnotations` (shared, so not stored per sample)."""
        info = super().get_data_info(idx)
        info['label_map'] = self.label_map
        info['palette'] = self._metainfo['palette']
        return info

    @property
    def _hint(self) -> str:
        """``DOWNLOAD_HINT`` after a space, to end a message with, or nothing."""
        return f' {self.DOWNLOAD_HINT}' if self.DOWNLOAD_HINT else ''

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
                raise DataError(f'{type(self).__name__}: folder {folder!r} does not exist.'
                                f'{self._hint}')
        if self.ann_file:
            ids = read_split_list(self.ann_file, self.DOWNLOAD_HINT)
            pairs = [(osp.join(img_dir, i + self.img_suffix),
                      osp.join(seg_dir, i + self.seg_map_suffix)) for i in ids]
        else:
            pairs = self._scan(img_dir, seg_dir)
        if not pairs:
            raise DataError(f'{type(self).__name__}: no images ending in {self.img_suffix!r} '
                            f'under {img_dir!r}{self._suffix_hint(img_dir)}.'
                            f'{self._hint}')
        for img_path, seg_path in pairs:
            if not osp.isfile(img_path):
                raise DataError(f'image listed in {self.ann_file or img_dir} not found: {img_path}')
            if seg_path is not None and not osp.isfile(seg_path):
                raise DataError(f'label for {img_path} not found: {seg_path}.'
                                f'{self._hint}')
        if not self.ann_file and seg_dir and osp.isdir(seg_dir):
            self._check_masks_have_images(img_dir, seg_dir, pairs)
        return [self._info(img, seg) for img, seg in pairs]

    def _suffix_hint(self, folder: str) -> str:
        """Names the most common file suffix in ``folder`` when there is one."""
        suffixes = Counter(osp.splitext(name)[1] for _, _, files in os.walk(folder)
                           for name in files if '.' in name)
        if not suffixes:
            return ''
        suffix, count = suffixes.most_common(1)[0]
        return f' (it holds {count} {suffix} files: set img_suffix={suffix!r}?)'

    def _check_masks_have_images(self, img_dir: str, seg_dir: str, pairs: list) -> None:
        """In a folder scan, fail on a mask whose image is missing, naming both."""
        listed = {osp.normpath(seg) for _, seg in pairs if seg is not None}
        for root, _, files in sorted(os.walk(seg_dir)):
            for name in sorted(files):
                seg = osp.normpath(osp.join(root, name))
                if name.endswith(self.seg_map_suffix) and seg not in listed:
                    rel = osp.relpath(seg, seg_dir)[:-len(self.seg_map_suffix)]
                    raise DataError(f'mask {seg} has no image: expected '
                                    f'{osp.join(img_dir, rel + self.img_suffix)}')

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

