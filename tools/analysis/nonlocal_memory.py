"""Memory of NonLocal2d's attention matrix: when does it pass a limit (default 1 GiB)?

    python tools/analysis/nonlocal_memory.py [--limit-gib G] [--batch-size N]

The matrix has (H*W) x N entries per image, N = H*W key positions, or (H//2)*(W//2) with
``sub_sample``: it grows with the square of the feature area. Training keeps it for the
backward pass too. Sizes are exact (checked against a materialised matrix on a small map).
"""
import argparse
import math

import torch

from segkit.models.layers import NonLocal2d
from segkit.models.layers.non_local import attention_bytes
from segkit.utils.cli import run_cli

DTYPES = {'fp32': torch.float32, 'bf16': torch.bfloat16}
OUTPUT_STRIDE = 8
# (name, input height, input width) of the shipped recipes.
INPUTS = (('VOC crop', 512, 512), ('Cityscapes crop', 512, 1024),
          ('Cityscapes 769 crop', 769, 769), ('Cityscapes whole', 1024, 2048))
GIB = 2**30


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='NonLocal2d attention memory')
    parser.add_argument('--limit-gib', type=float, default=1.0, help='memory limit in GiB')
    parser.add_argument('--batch-size', type=int, default=1, help='images per device')
    return parser.parse_args(argv)


def feature_size(size: int) -> int:
    """Side of the output-stride-8 map of a ResNetV1c-D8 (three stride-2 steps, ceil)."""
    for _ in range(int(math.log2(OUTPUT_STRIDE))):
        size = math.ceil(size / 2)
    return size


def check_formula() -> None:
    """The formula against the bytes of a materialised matrix on a 6x10 map."""
    x = torch.randn(1, 8, 6, 10)
    for sub_sample in (False, True):
        for name, dtype in DTYPES.items():
            block = NonLocal2d(8, sub_sample=sub_sample).to(dtype)
            with torch.no_grad():
                actual = block.attention(x.to(dtype))
            expected = attention_bytes(6, 10, sub_sample, actual.element_size())
            if actual.nbytes != expected:
                raise RuntimeError(f'{name} sub_sample={sub_sample}: formula {expected} bytes, '
                                   f'materialised {actual.nbytes}')


def first_square_over(limit: float, sub_sample: bool, bytes_per_element: int,
                      batch_size: int) -> int:
    """Smallest side s whose s x s feature map needs more than ``limit`` bytes."""
    side = 1
    while attention_bytes(side, side, sub_sample, bytes_per_element, batch_size) <= limit:
        side += 1
    return side


def human(num_bytes: int) -> str:
    return f'{num_bytes / GIB:.2f} GiB' if num_bytes >= GIB else f'{num_bytes / 2**20:.0f} MiB'


def main(argv=None):
    args = parse_args(argv)
    check_formula()
    limit = args.limit_gib * GIB
    sizes = {name: torch.tensor([], dtype=dtype).element_size()
             for name, dtype in DTYPES.items()}
    print(f'NonLocal2d attention matrix, batch {args.batch_size}, limit {args.limit_gib:g} GiB')
    print(f"{'dtype':<6}{'sub_sample':<12}{'first square map over the limit':<34}"
          f"{'positions':>10}{'input at OS8':>16}")
    for name, nbytes in sizes.items():
        for sub_sample in (False, True):
            side = first_square_over(limit, sub_sample, nbytes, args.batch_size)
            size = attention_bytes(side, side, sub_sample, nbytes, args.batch_size)
            print(f"{name:<6}{'yes' if sub_sample else 'no':<12}"
                  f"{f'{side}x{side} ({human(size)})':<34}{side * side:>10}"
                  f"{f'~{side * OUTPUT_STRIDE}x{side * OUTPUT_STRIDE}':>16}")
    columns = [name + (' sub' if sub else '') for name in sizes for sub in (False, True)]
    print(f"\n{'input':<30}{'map':>9}" + ''.join(f'{column:>12}' for column in columns))
    for label, height, width in INPUTS:
        h, w = feature_size(height), feature_size(width)
        cells = ''.join(f'{human(attention_bytes(h, w, sub, nbytes, args.batch_size)):>12}'
                        for nbytes in sizes.values() for sub in (False, True))
        print(f"{f'{label} {height}x{width}':<30}{f'{h}x{w}':>9}{cells}")


if __name__ == '__main__':
    run_cli(main)
