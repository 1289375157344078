"""Convert SBD into VOC 2012's SegmentationClassAug and write aug.txt / trainaug.txt.

python tools/dataset_converters/voc_aug.py data/VOCdevkit data/VOCdevkit/benchmark_RELEASE [--nproc N]
"""
import argparse

from segkit.datasets.converters import convert_voc_aug
from segkit.datasets.converters.voc_aug import FULL_TRAINAUG_SIZE
from segkit.utils.cli import run_cli


def parse_args():
    parser = argparse.ArgumentParser(description='Convert SBD labels for PASCAL VOC 2012 aug')
    parser.add_argument('devkit_path', help='data/VOCdevkit (holding VOC2012)')
    parser.add_argument('sbd_path', help='SBD benchmark_RELEASE (holding dataset/cls)')
    parser.add_argument('--nproc', type=int, default=1, help='number of processes')
    return parser.parse_args()


def main():
    args = parse_args()
    counts = convert_voc_aug(args.devkit_path, args.sbd_path, nproc=args.nproc)
    print(f"\nSegmentationClassAug: {counts['converted']} SBD labels converted, "
          f"{counts['copied']} VOC labels copied over them")
    print(f"aug.txt: {counts['aug']} ids; trainaug.txt (VOC train + aug): {counts['trainaug']} "
          f'ids ({FULL_TRAINAUG_SIZE} with the full VOC 2012 and SBD)')


if __name__ == '__main__':
    run_cli(main)
