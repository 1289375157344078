"""Predict images: python tools/infer.py CONFIG CHECKPOINT INPUT... --out-dir DIR.

Each INPUT is an image or a folder of images. For an image ``NAME.ext`` it writes
``DIR/masks/NAME.png`` (palette PNG: pixel values are class indices, shown in the
dataset's colours) and ``DIR/overlays/NAME.png`` (the colours blended over the image).
"""
import argparse
import os
import os.path as osp

import cv2
from mmengine.utils import ProgressBar
from PIL import Image

from segkit.apis import SegInferencer
from segkit.utils.cli import CfgOptionsAction, run_cli
from segkit.utils.errors import ConfigError
from segkit.visualization import overlay, save_label_png


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Predict class maps for images')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('inputs', nargs='+', metavar='INPUT', help='images or folders of images')
    parser.add_argument('--out-dir', required=True, help='where masks/ and overlays/ go')
    parser.add_argument('--opacity', type=float, default=0.5,
                        help='weight of the class colours in the overlays (0..1)')
    parser.add_argument('--batch-size', type=int, default=1, help='images per forward pass')
    parser.add_argument('--device', default='cpu', help="'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction, default=None,
                        help='override config values, e.g. model.test_cfg.mode=slide')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if not 0 <= args.opacity <= 1:
        raise ConfigError(f'--opacity {args.opacity}: expected a value in [0, 1]')
    inferencer = SegInferencer(args.config, args.checkpoint, device=args.device,
                               batch_size=args.batch_size, cfg_options=args.cfg_options)
    paths = inferencer.expand_inputs(args.inputs)
    names = [osp.splitext(osp.basename(p))[0] + '.png' for p in paths]
    if len(set(names)) < len(names):
        clash = next(n for n in names if names.count(n) > 1)
        raise ConfigError(f'several inputs would be saved as {clash}; give inputs with '
                          'distinct file names')
    for sub in ('masks', 'overlays'):
        os.makedirs(osp.join(args.out_dir, sub), exist_ok=True)
    progress = ProgressBar(len(paths))
    for name, (path, label) in zip(names, inferencer.iter_predictions(paths)):
        save_label_png(label, inferencer.palette, osp.join(args.out_dir, 'masks', name))
        img = cv2.imread(path, cv2.IMREAD_COLOR)[..., ::-1]
        blend = overlay(img, label, inferencer.palette, opacity=args.opacity)
        Image.fromarray(blend).save(osp.join(args.out_dir, 'overlays', name))
        progress.update()
    print(f'\nsaved {len(paths)} masks and overlays under {args.out_dir}')


if __name__ == '__main__':
    run_cli(main)
