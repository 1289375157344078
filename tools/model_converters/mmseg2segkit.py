"""Check an MMSegmentation checkpoint against a segkit config; save its weights safely.

    python tools/model_converters/mmseg2segkit.py CHECKPOINT CONFIG OUTPUT

DeepLabV3 and NonLocal (R-50/101-D8) checkpoints need no key renaming: segkit uses
MMSegmentation's parameter names. The output holds only ``state_dict`` (no ``meta``) and
loads with ``torch.load(weights_only=True)``. Missing, unexpected or mis-shaped keys are
reported and nothing is written. A checkpoint that needs arbitrary code to unpickle goes
through tools/model_converters/trust_checkpoint.py first.
"""
import argparse

from segkit.checkpoint import convert_mmseg_checkpoint
from segkit.config import load_config
from segkit.utils.cli import run_cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='MMSegmentation checkpoint -> segkit')
    parser.add_argument('checkpoint', help='MMSegmentation checkpoint (.pth)')
    parser.add_argument('config', help='segkit config of the same model')
    parser.add_argument('output', help='where to write the segkit checkpoint')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    report = convert_mmseg_checkpoint(args.checkpoint, load_config(args.config), args.output)
    print(f'wrote {args.output}: {report.summary()}')


if __name__ == '__main__':
    run_cli(main)
