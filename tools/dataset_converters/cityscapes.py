"""Make Cityscapes *_gtFine_labelTrainIds.png and the train/val/test lists.

python tools/dataset_converters/cityscapes.py data/cityscapes [--nproc N]
"""
import argparse

from segkit.datasets.converters import convert_cityscapes
from segkit.utils.cli import run_cli


def parse_args():
    parser = argparse.ArgumentParser(description='Convert Cityscapes labels to train ids')
    parser.add_argument('data_root', help='data/cityscapes (holding gtFine)')
    parser.add_argument('--nproc', type=int, default=1, help='number of processes')
    return parser.parse_args()


def main():
    args = parse_args()
    counts = convert_cityscapes(args.data_root, nproc=args.nproc)
    print(f"\nlabelTrainIds: {counts['from_polygons']} frames from polygons, "
          f"{counts['from_label_ids']} from labelIds")
    print('split lists: ' + ', '.join(f'{split}.txt ({n} ids)'
                                       for split, n in counts['splits'].items()))


if __name__ == '__main__':
    run_cli(main)
