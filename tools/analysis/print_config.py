"""Print a config as resolved: bases merged, overrides applied, validated.

    python tools/analysis/print_config.py CONFIG [--cfg-options KEY=VALUE ...]
"""
import argparse

from segkit.config import load_config
from segkit.registry import register_all_modules
from segkit.utils.cli import CfgOptionsAction, run_cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Print the resolved config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction, default=None,
                        help='override config values, e.g. model.test_cfg.mode=slide')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    register_all_modules()
    print(load_config(args.config, cfg_options=args.cfg_options).pretty_text)


if __name__ == '__main__':
    run_cli(main)
