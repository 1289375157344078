"""Quantize an exported model to int8: python tools/deploy/quantize.py CONFIG model.onnx
--out model_int8.onnx [--calib N] [--tool onnxruntime|nncf].

Static post-training quantization, calibrated on N images of the config's validation set
through its test pipeline. ONNX Runtime's int8 .onnx runs on ONNX Runtime and OpenVINO
(``tools/test.py CONFIG model_int8.onnx [--backend openvino]``); NNCF writes OpenVINO IR
(``--out model_int8.xml``, then ``tools/test.py CONFIG model_int8.xml --backend openvino``).
"""
import argparse

from segkit.config import load_config
from segkit.deploy.export import model_out_path
from segkit.deploy.quantize import (CALIBRATION_METHODS, QUANT_FORMATS, QUANT_TOOLS,
                                   quantize_onnx)
from segkit.registry import register_all_modules
from segkit.utils.cli import CfgOptionsAction, run_cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='the config the model was exported from')
    parser.add_argument('model', help='the fp32 .onnx file')
    parser.add_argument('--out', required=True,
                        help='the int8 file to write: .onnx, or .xml with --tool nncf')
    parser.add_argument('--tool', choices=QUANT_TOOLS, default='onnxruntime',
                        help='ONNX Runtime quantization, or NNCF for OpenVINO')
    parser.add_argument('--calib', type=int, default=16,
                        help='calibration images from the validation set')
    parser.add_argument('--per-tensor', action='store_true',
                        help='one weight scale per tensor (default: per output channel)')
    parser.add_argument('--reduce-range', action='store_true',
                        help='7-bit weights: avoids uint8 x int8 overflow on CPUs without VNNI')
    parser.add_argument('--format', choices=QUANT_FORMATS, default='qdq',
                        help='QDQ node pairs (both runtimes) or QOperator (QLinearConv) nodes '
                             '(ONNX Runtime only: OpenVINO cannot read them)')
    parser.add_argument('--method', choices=CALIBRATION_METHODS, default='minmax',
                        help='activation range estimation')
    parser.add_argument('--op-types', nargs='+', help='quantize only these ONNX op types')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction, default=None,
                        help='override config values, e.g. model.test_cfg.mode=slide')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    register_all_modules()
    cfg = load_config(args.config, cfg_options=args.cfg_options)
    options = {} if args.tool == 'nncf' else dict(
        per_channel=not args.per_tensor, reduce_range=args.reduce_range,
        quant_format=args.format, method=args.method, op_types=args.op_types)
    out = model_out_path(args.out, '.xml' if args.tool == 'nncf' else '.onnx')
    meta = quantize_onnx(cfg, args.model, out, num_images=args.calib, tool=args.tool,
                         config_name=args.config, **options)
    added = f' (--out {args.out} had no extension)' if out != args.out else ''
    print(f"saved {out}{added} and {out}.json: int8, calibrated on "
          f"{meta['quantization']['calibration_images']} validation images "
          f"({meta['quantization']['calibration_inputs']} model inputs)")


if __name__ == '__main__':
    run_cli(main)
