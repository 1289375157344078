"""Plot training curves of one or more runs to a PNG.

    python tools/analysis/analyze_logs.py RUN [RUN ...] [--keys loss lr mIoU]
        [--legend NAME ...] [--out curves.png] [--title TITLE]

RUN is a work dir of tools/train.py, one of its timestamped run folders, a
``vis_data/scalars.json`` / ``<timestamp>.json`` log or a ``metrics.jsonl`` file. Keys are the
logged scalars and, from ``metrics.jsonl``, per-class values as ``COLUMN/CLASS`` (``IoU/road``).
"""
import argparse
import os.path as osp

from segkit.analysis import load_scalars, plot_curves
from segkit.utils.cli import run_cli
from segkit.utils.errors import ConfigError


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Plot loss, lr and mIoU curves of runs')
    parser.add_argument('runs', nargs='+', metavar='RUN', help='work dirs or .json logs')
    parser.add_argument('--keys', nargs='+', default=['loss', 'lr', 'mIoU'],
                        help='logged scalars to plot, one panel each (per-class: IoU/CLASS)')
    parser.add_argument('--legend', nargs='+', help='a name per run (default: the paths)')
    parser.add_argument('--out', default='curves.png', help='the PNG to write')
    parser.add_argument('--title', default='', help='figure title')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    names = args.legend or [osp.normpath(run) for run in args.runs]
    if len(names) != len(args.runs):
        raise ConfigError(f'--legend has {len(names)} names for {len(args.runs)} runs')
    runs = {name: load_scalars(run) for name, run in zip(names, args.runs)}
    plot_curves(runs, args.keys, args.out, title=args.title)
    print(f'saved {args.out}')


if __name__ == '__main__':
    run_cli(main)
