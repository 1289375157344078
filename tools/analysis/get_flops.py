"""Print the parameters and FLOPs of a config's model for one input size.

    python tools/analysis/get_flops.py CONFIG [--shape H W] [--table] [--cfg-options ...]
"""
import argparse

from segkit.analysis import model_complexity
from segkit.config import load_config
from segkit.registry import register_all_modules
from segkit.utils.cli import CfgOptionsAction, run_cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Parameters and FLOPs of a model')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--shape', type=int, nargs=2, default=[512, 1024], metavar=('H', 'W'),
                        help='input image size')
    parser.add_argument('--table', action='store_true', help='also print the per-module table')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction, default=None,
                        help='override config values')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    register_all_modules()
    cfg = load_config(args.config, cfg_options=args.cfg_options)
    info = model_complexity(cfg, tuple(args.shape))
    if args.table:
        print(info['out_table'])
    print(f"Input shape: (3, {args.shape[0]}, {args.shape[1]})\n"
          f"Flops: {info['flops_str']} ({info['flops']} multiply-adds)\n"
          f"Params: {info['params_str']} ({info['params']})")


if __name__ == '__main__':
    run_cli(main)
