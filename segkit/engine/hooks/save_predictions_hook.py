"""SavePredictionsHook: write test predictions as PNGs."""
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.hooks import Hook
from PIL import Image

from segkit.registry import HOOKS
from segkit.utils.errors import ConfigError
from segkit.visualization import prediction_panel, read_display_image, save_label_png

# Written into each output folder: a folder holding other files without it is refused.
MARKER = '.segkit-predictions'


@HOOKS.register_module()
class SavePredictionsHook(Hook):
    """Save each test prediction, named after its image.

    Args:
        out_dir: write the predicted class map as a palette PNG (values = class indices).
        show_dir: write image | ground truth | prediction side by side (RGB PNG).
        display_channels: the image channels shown as red, green and blue in the panels
            (N-channel images; default the first three).

    Each folder must be new, empty, or one this hook wrote before (it leaves a
    ``.segkit-predictions`` marker), so predictions never overwrite other files, such as
    a dataset's labels.
    """

    def __init__(self, out_dir: Optional[str] = None, show_dir: Optional[str] = None,
                 display_channels: Optional[Sequence[int]] = None):
        self.out_dir = out_dir
        self.display_channels = display_channels
        self.show_dir = show_dir
        if out_dir and show_dir and osp.realpath(out_dir) == osp.realpath(show_dir):
            raise ConfigError(f'--out and --show-dir are both {out_dir}: the panels would '
                              'overwrite the predictions; choose two folders')
        for option, folder in (('--out', out_dir), ('--show-dir', show_dir)):
            if folder:
                _claim(folder, option)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        palette = runner.test_dataloader.dataset.metainfo['palette']
        for sample in outputs:
            name = osp.splitext(osp.basename(sample.img_path))[0] + '.png'
            pred = sample.pred_sem_seg.data[0].cpu().numpy()
            if self.out_dir:
                save_label_png(pred, palette, osp.join(self.out_dir, name))
            if self.show_dir:
                img = read_display_image(sample.img_path, self.display_channels)
                gt = sample.gt_sem_seg.data[0].cpu().numpy() if 'gt_sem_seg' in sample else None
                panel = prediction_panel(img, pred, palette, gt=gt)
                Image.fromarray(panel).save(osp.join(self.show_dir, name))


def _claim(folder: str, option: str) -> None:
    """Create ``folder`` and mark it as ours, unless it holds files this hook did not write."""
    names = sorted(os.listdir(folder)) if osp.isdir(folder) else []
    if names and MARKER not in names:
        shown = ', '.join(names[:3]) + (f' (+{len(names) - 3} more)' if len(names) > 3 else '')
        raise ConfigError(f'{option} {folder} already holds files that segkit did not write '
                          f'({shown}); predictions would overwrite files of the same name (a '
                          "dataset's labels?). Choose a new or empty folder")
    try:
        os.makedirs(folder, exist_ok=True)
        open(osp.join(folder, MARKER), 'a').close()
    except OSError as e:
        raise ConfigError(f'{option} {folder} is not writable ({e.strerror})') from None
