"""Export a checkpoint to ONNX: python tools/deploy/export.py CONFIG CHECKPOINT --out model.onnx
[--shape H W] [--dynamic].

Checks the file with onnx.checker, compares ONNX Runtime's logits with PyTorch's (fails
above 1e-4 relative) and writes model.onnx.json beside it (mean/std, colour order, classes,
palette, test mode). Test it with ``tools/test.py CONFIG model.onnx``.
"""
import argparse

from segkit.apis import init_model
from segkit.deploy import export_onnx
from segkit.deploy.export import model_out_path
from segkit.utils.cli import CfgOptionsAction, run_cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', required=True, help='the .onnx file to write')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help="input size (default: the slide window, else the crop size)")
    parser.add_argument('--dynamic', action='store_true', help='any input height and width')
    parser.add_argument('--no-fold-bn', action='store_true',
                        help='keep BatchNorm layers (folded into the convs by default)')
    parser.add_argument('--dynamo', action='store_true',
                        help='the torch.export-based exporter instead of the TorchScript one')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction, default=None,
                        help='override config values, e.g. model.test_cfg.mode=slide')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    out = model_out_path(args.out, '.onnx')
    model = init_model(args.config, args.checkpoint, cfg_options=args.cfg_options)
    meta = export_onnx(model, out, shape=args.shape, dynamic=args.dynamic,
                       fold_bn=not args.no_fold_bn, dynamo=args.dynamo,
                       config_name=args.config)
    shape = 'dynamic' if meta['input_shape'] is None else 'x'.join(map(str, meta['input_shape']))
    added = f' (--out {args.out} had no extension)' if out != args.out else ''
    print(f"saved {out}{added} (inputs {', '.join(meta['input_names'])}, size {shape}) and "
          f"{out}.json; ONNX Runtime vs PyTorch max relative difference "
          f"{meta['max_relative_difference']:.2e}")


if __name__ == '__main__':
    run_cli(main)
