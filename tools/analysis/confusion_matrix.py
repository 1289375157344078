"""Save the row-normalised confusion matrix of a config's test set as a PNG.

    python tools/analysis/confusion_matrix.py CONFIG PRED_DIR [--out FILE]
    python tools/analysis/confusion_matrix.py CONFIG CHECKPOINT [--out FILE] [--device cuda]

PRED_DIR holds one class-index PNG per test image, named after it (tools/test.py --out);
with a CHECKPOINT the predictions are made here with the config's test pipeline.
"""
import argparse
import os.path as osp

import numpy as np
from mmengine.utils import track_iter_progress

from segkit.analysis import (build_test_dataset, confusion_matrix, normalize_rows,
                             pairs_from_checkpoint, pairs_from_predictions,
                             plot_confusion_matrix)
from segkit.apis import init_model
from segkit.config import load_config
from segkit.registry import register_all_modules
from segkit.utils.cli import CfgOptionsAction, run_cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Confusion matrix of test-set predictions')
    parser.add_argument('config', help='config file path')
    parser.add_argument('predictions', metavar='PRED_DIR|CHECKPOINT',
                        help='folder of predicted PNGs, or a checkpoint to predict with')
    parser.add_argument('--out', default='confusion_matrix.png', help='the PNG to write')
    parser.add_argument('--device', default='cpu', help='device for CHECKPOINT predictions')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction, default=None,
                        help='override config values')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    register_all_modules()
    cfg = load_config(args.config, cfg_options=args.cfg_options)
    from_dir = osp.isdir(args.predictions)
    dataset = build_test_dataset(cfg, annotations_only=from_dir)
    if from_dir:
        pairs = pairs_from_predictions(dataset, args.predictions)
    else:
        pairs = pairs_from_checkpoint(init_model(cfg, args.predictions, device=args.device),
                                      dataset)
    classes = dataset.metainfo['classes']
    counts = confusion_matrix(track_iter_progress((pairs, len(dataset))), len(classes),
                              ignore_index=dataset.ignore_index)
    plot_confusion_matrix(normalize_rows(counts), classes, args.out)
    print(f'\nsaved {args.out} ({np.trace(counts) / max(counts.sum(), 1):.2%} of the '
          'labelled pixels on the diagonal)')


if __name__ == '__main__':
    run_cli(main)
