"""SavePredictionsHook: write test predictions as PNGs."""
import os
import os.path as osp
from typing import Optional

import cv2
from mmengine.hooks import Hook
from PIL import Image

from segkit.registry import HOOKS
from segkit.visualization import prediction_panel, save_label_png


@HOOKS.register_module()
class SavePredictionsHook(Hook):
    """Save each test prediction, named after its image.

    Args:
        out_dir: write the predicted class map as a palette PNG (values = class indices).
        show_dir: write image | ground truth | prediction side by side (RGB PNG).
    """

    def __init__(self, out_dir: Optional[str] = None, show_dir: Optional[str] = None):
        self.out_dir = out_dir
        self.show_dir = show_dir
        for folder in (out_dir, show_dir):
            if folder:
                os.makedirs(folder, exist_ok=True)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        palette = runner.test_dataloader.dataset.metainfo['palette']
        for sample in outputs:
            name = osp.splitext(osp.basename(sample.img_path))[0] + '.png'
            pred = sample.pred_sem_seg.data[0].cpu().numpy()
            if self.out_dir:
                save_label_png(pred, palette, osp.join(self.out_dir, name))
            if self.show_dir:
                img = cv2.imread(sample.img_path, cv2.IMREAD_COLOR)[..., ::-1]
                gt = sample.gt_sem_seg.data[0].cpu().numpy() if 'gt_sem_seg' in sample else None
                panel = prediction_panel(img, pred, palette, gt=gt)
                Image.fromarray(panel).save(osp.join(self.show_dir, name))
