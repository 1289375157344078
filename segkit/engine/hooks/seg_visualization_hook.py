"""SegVisualizationHook: show a few validation predictions at every validation."""
import os.path as osp
from typing import Optional, Sequence

from mmengine.hooks import Hook

from segkit.registry import HOOKS
from segkit.utils.errors import ConfigError
from segkit.visualization import prediction_panel, read_display_image


@HOOKS.register_module()
class SegVisualizationHook(Hook):
    """Draw image | ground truth | prediction for the first validation images.

    At every validation the first ``num_samples`` images (the same ones each time, so
    progress is visible) go to the runner's visualizer as ``val_<image name>`` at the
    current iteration: with ``LocalVisBackend`` they are saved as
    ``<work_dir>/<timestamp>/vis_data/vis_image/val_<name>_<iter>.png``, with
    ``TensorboardVisBackend`` they appear under TensorBoard's Images tab.

    Args:
        num_samples: images drawn per validation.
        display_channels: the image channels shown as red, green and blue (N-channel
            images; default the first three).
    """

    def __init__(self, num_samples: int = 4, display_channels: Optional[Sequence[int]] = None):
        if not isinstance(num_samples, int) or num_samples < 1:
            raise ConfigError(f'SegVisualizationHook num_samples {num_samples!r}: expected a '
                              'positive int')
        self.num_samples = num_samples
        self.display_channels = display_channels
        self._drawn = 0

    def before_val_epoch(self, runner) -> None:
        self._drawn = 0

    def after_val_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        palette = runner.val_dataloader.dataset.metainfo['palette']
        for sample in outputs[:self.num_samples - self._drawn]:
            img = read_display_image(sample.img_path, self.display_channels)
            gt = sample.gt_sem_seg.data[0].cpu().numpy() if 'gt_sem_seg' in sample else None
            pred = sample.pred_sem_seg.data[0].cpu().numpy()
            name = 'val_' + osp.splitext(osp.basename(sample.img_path))[0]
            runner.visualizer.add_image(name, prediction_panel(img, pred, palette, gt=gt),
                                        step=runner.iter)
            self._drawn += 1
