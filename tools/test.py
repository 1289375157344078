"""Test a checkpoint or an exported model: python tools/test.py CONFIG CHECKPOINT|MODEL.onnx
[--backend onnxruntime|openvino] [options]."""
import argparse

from segkit.apis import run_test
from segkit.deploy import BACKENDS
from segkit.utils.cli import CfgOptionsAction, run_cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a segmentor')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file or URL (http(s)://, downloaded once '
                        'into the torch hub cache), or an exported .onnx model')
    parser.add_argument('--backend', choices=BACKENDS, default='onnxruntime',
                        help='runtime of a .onnx model')
    parser.add_argument('--work-dir', help='where the log goes')
    parser.add_argument('--show-dir', help='save image / ground truth / prediction PNGs here')
    parser.add_argument('--out', help='save predicted class maps (palette PNGs) here')
    parser.add_argument('--format-only', action='store_true',
                        help="only write the test evaluator's results files (e.g. a Cityscapes "
                             'test-set submission), no evaluation; needs --out-dir')
    parser.add_argument('--out-metrics', metavar='FILE',
                        help='also write the metrics and the per-class table to FILE (.json, '
                             'or .csv: one row per class, then an overall row)')
    parser.add_argument('--out-dir', help="the test evaluator's output folder (results kept)")
    parser.add_argument('--tta', action='store_true',
                        help='test-time augmentation: the config\'s tta_pipeline (scales, flips) '
                             'and tta_model')
    parser.add_argument('--precision', choices=['fp32', 'auto', 'bf16', 'fp16'],
                        help="autocast dtype (default fp32); 'auto': the mixed precision this "
                             'device runs natively, else fp32; bf16/fp16 run even where '
                             'emulated (slower)')
    parser.add_argument('--bf16', dest='precision', action='store_const', const='bf16',
                        help='same as --precision bf16')
    parser.add_argument('--fast', action='store_true',
                        help='the fastest mode that keeps the accuracy on this device: '
                             '--precision auto --channels-last --fold-bn (an explicit --precision '
                             'wins)')
    parser.add_argument('--channels-last', action='store_true',
                        help='NHWC memory layout for weights and images')
    parser.add_argument('--fold-bn', '--fuse-conv-bn', dest='fold_bn', action='store_true',
                        help='fold BatchNorm into the conv before it')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile the model (the first batch of each size compiles)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction, default=None,
                        help='override config values, e.g. model.test_cfg.mode=slide')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none',
                        help="'pytorch' under torchrun, 'slurm' under srun")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    run_test(args.config, args.checkpoint, work_dir=args.work_dir, show_dir=args.show_dir,
             out=args.out, cfg_options=args.cfg_options, launcher=args.launcher,
             format_only=args.format_only, out_dir=args.out_dir, tta=args.tta,
             precision=args.precision, channels_last=args.channels_last,
             fold_bn=args.fold_bn, compile=args.compile, fast=args.fast,
             backend=args.backend, out_metrics=args.out_metrics)


if __name__ == '__main__':
    run_cli(main)
