"""Save training samples as the model sees them (after augmentation) as PNGs.

    python tools/analysis/browse_dataset.py CONFIG --out-dir DIR [--num 20]
        [--opacity 0.5] [--cfg-options ...]

Each PNG shows the augmented image and its label blended over it, side by side.
"""
import argparse
import os
import os.path as osp

import numpy as np
from PIL import Image

from segkit.analysis import augmented_samples
from segkit.config import load_config
from segkit.registry import DATASETS, register_all_modules
from segkit.utils.cli import CfgOptionsAction, run_cli
from segkit.utils.errors import ConfigError
from segkit.visualization import overlay


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Save augmented training samples')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--out-dir', required=True, help='where the PNGs go')
    parser.add_argument('--num', type=int, default=20, help='number of samples')
    parser.add_argument('--opacity', type=float, default=0.5,
                        help='weight of the label colours (0..1)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction, default=None,
                        help='override config values')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.num < 1:
        raise ConfigError(f'--num {args.num}: expected a positive number of samples')
    register_all_modules()
    cfg = load_config(args.config, cfg_options=args.cfg_options)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    palette = dataset.metainfo['palette']
    os.makedirs(args.out_dir, exist_ok=True)
    saved = 0
    for name, img, label in augmented_samples(dataset, args.num):
        panel = np.concatenate([img, overlay(img, label, palette, opacity=args.opacity)], axis=1)
        Image.fromarray(panel).save(osp.join(args.out_dir, name))
        saved += 1
    print(f'saved {saved} samples under {args.out_dir}')


if __name__ == '__main__':
    run_cli(main)
