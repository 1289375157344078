"""Print class weights from a training set's labels, ready for ``class_weight=[...]``.

    python tools/analysis/class_weights.py CONFIG [--method median_freq|inverse_log]
        [--max-images N] [--cfg-options KEY=VALUE ...]
"""
import argparse

from segkit.analysis.class_weights import METHODS, class_weights_from_config, format_class_weights
from segkit.utils.cli import CfgOptionsAction, run_cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Class weights from the labels of a config's train_dataloader dataset")
    parser.add_argument('config', help='config file path')
    parser.add_argument('--method', choices=METHODS, default='median_freq',
                        help='median_freq: median(freq) / freq[c] (Eigen & Fergus); '
                             'inverse_log: 1 / ln(1.02 + p[c]) (ENet)')
    parser.add_argument('--max-images', type=int, default=None, metavar='N',
                        help='read only the first N training labels')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction, default=None,
                        help='override config values, e.g. train_dataloader.dataset.data_root=X')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    result = class_weights_from_config(args.config, method=args.method,
                                       max_images=args.max_images, cfg_options=args.cfg_options)
    print(format_class_weights(result))


if __name__ == '__main__':
    run_cli(main)
