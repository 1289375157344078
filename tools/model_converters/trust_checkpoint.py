"""Re-save a checkpoint you trust as a weights-only file.

    python tools/model_converters/trust_checkpoint.py IN OUT

segkit loads checkpoints with ``torch.load(weights_only=True)`` and refuses files whose
pickle needs other code. This tool loads IN with ``weights_only=False``, which RUNS any
code the file carries, and writes its tensors and plain data (dicts, lists, numbers,
strings) to OUT; other objects are left out and listed.
"""
import argparse
import sys

from segkit.checkpoint import trust_checkpoint
from segkit.utils.cli import run_cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='trusted checkpoint -> weights-only file')
    parser.add_argument('input', help='checkpoint from a source you trust')
    parser.add_argument('output', help='where to write the weights-only file')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    print(f'WARNING: loading {args.input} with weights_only=False executes any code its '
          'pickle carries. Continue only if you trust where this file comes from.',
          file=sys.stderr)
    dropped = trust_checkpoint(args.input, args.output)
    print(f'wrote {args.output} (loads with weights_only=True)')
    if dropped:
        print(f'left out {len(dropped)} value(s) that are not plain data: ' + ', '.join(dropped))


if __name__ == '__main__':
    run_cli(main)
