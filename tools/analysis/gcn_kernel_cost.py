"""Parameters and FLOPs of a GCN block (k x 1 + 1 x k branches) against a dense k x k conv.

    python tools/analysis/gcn_kernel_cost.py [--in-channels C] [--out-channels K]
        [--shape H W] [--kernel-size k]

FLOPs are multiply-adds (mmengine's convention; biases and the branch sum not counted),
counted analytically and checked against mmengine.analysis.get_model_complexity_info.
The defaults are GCN on C5 of a ResNet (2048 channels, 21 VOC classes, the 16x16 map of
a 512x512 input) with the paper's k = 15.
"""
import argparse

import torch
from mmengine.analysis import get_model_complexity_info
from torch import nn

from segkit.models.layers import GlobalConvBlock
from segkit.utils.cli import run_cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='GCN block vs dense k x k conv: cost')
    parser.add_argument('--in-channels', type=int, default=2048, help='input channels')
    parser.add_argument('--out-channels', type=int, default=21,
                        help='output channels (classes)')
    parser.add_argument('--shape', type=int, nargs=2, default=[16, 16], metavar=('H', 'W'),
                        help='feature map size')
    parser.add_argument('--kernel-size', type=int, default=15, help='k (odd)')
    return parser.parse_args(argv)


def analytic_cost(cin: int, cout: int, k: int, h: int, w: int) -> dict:
    """``(params, multiply-adds)`` of each model, with the same padding (size kept)."""
    gcn_weights = 2 * (k * cin * cout + k * cout * cout)
    dense_weights = k * k * cin * cout
    return {'GlobalConvBlock': (gcn_weights + 4 * cout, h * w * gcn_weights),
            'Conv2d': (dense_weights + cout, h * w * dense_weights)}


def measured_cost(model: nn.Module, cin: int, h: int, w: int) -> tuple:
    """``(params, multiply-adds)`` counted by mmengine."""
    info = get_model_complexity_info(model, inputs=(torch.zeros(1, cin, h, w),),
                                     show_table=False, show_arch=False)
    return info['params'], info['flops']


def main(argv=None):
    args = parse_args(argv)
    cin, cout, k = args.in_channels, args.out_channels, args.kernel_size
    h, w = args.shape
    models = {'GlobalConvBlock': GlobalConvBlock(cin, cout, kernel_size=k),
              'Conv2d': nn.Conv2d(cin, cout, k, padding=k // 2)}
    expected = analytic_cost(cin, cout, k, h, w)
    for name, model in models.items():  # mmengine logs that it skips the branch sum (add)
        measured = measured_cost(model, cin, h, w)
        if measured != expected[name]:
            raise RuntimeError(f'{name}: mmengine counts {measured[0]} params / {measured[1]} '
                               f'FLOPs, the formula {expected[name][0]} / {expected[name][1]}')
    print(f'in {cin} ch, out {cout} ch, {h}x{w} map, k = {k}; FLOPs = multiply-adds')
    print(f"{'model':<28}{'params':>14}{'FLOPs':>18}")
    for label, (params, flops) in zip((f'GlobalConvBlock(k={k})', f'Conv2d {k}x{k}'),
                                      expected.values()):
        print(f'{label:<28}{params:>14,}{flops:>18,}')
    (gcn_params, gcn_flops), (dense_params, dense_flops) = expected.values()
    print(f"{'ratio GCN / dense':<28}{gcn_params / dense_params:>14.4f}"
          f'{gcn_flops / dense_flops:>18.4f}')


if __name__ == '__main__':
    run_cli(main)
