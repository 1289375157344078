"""Speed benchmarks, each variant timed side by side in one run; prints ratios.

    python tools/analysis/benchmark.py infer CONFIG --shape 512 1024 [--batch 1] [--json F]
        [--modes auto|all|MODE ...]
    python tools/analysis/benchmark.py infer CONFIG --backends torch onnxruntime \
        onnxruntime-int8 openvino openvino-int8 [--quant-options reduce_range=True]
    python tools/analysis/benchmark.py train CONFIG --shape 128 128 --batch 8 [--json F]
    python tools/analysis/benchmark.py data CONFIG --workers 0 2 --samples 16 [--json F]
"""
import argparse
import json
import tempfile

import torch
from mmengine.config import DictAction
from mmengine.logging import MMLogger

from segkit.apis.inference import dataset_metainfo
from segkit.benchmark import (INFERENCE_MODES, benchmark_data_pipeline, benchmark_inference,
                              benchmark_training, select_modes)
from segkit.benchmark.data_pipeline import data_table, write_cityscapes_like
from segkit.benchmark.deploy import DEPLOY_BACKENDS, backends_table, benchmark_backends
from segkit.benchmark.inference import inference_table
from segkit.benchmark.training import training_table
from segkit.config import load_config
from segkit.registry import MODELS, register_all_modules
from segkit.utils.cli import run_cli
from segkit.utils.precision import device_summary


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('kind', choices=['infer', 'train', 'data'])
    parser.add_argument('config')
    parser.add_argument('--shape', type=int, nargs=2, default=[512, 1024], metavar=('H', 'W'))
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--rounds', type=int, default=5, help='timed rounds per variant')
    parser.add_argument('--modes', nargs='+', default=['auto'],
                        choices=['auto', 'all', *INFERENCE_MODES],
                        help="inference modes (infer); 'auto': the fp32 modes, and the bf16 ones "
                             "where this device runs bf16 natively; 'all': every mode")
    parser.add_argument('--backends', nargs='+', choices=DEPLOY_BACKENDS,
                        help='(infer) PyTorch fp32 against exported models on these runtimes, '
                             'instead of --modes')
    parser.add_argument('--quant-options', nargs='+', action=DictAction, default={},
                        help='(infer --backends) ONNX Runtime quantization options, e.g. '
                             'reduce_range=True quant_format=qoperator')
    parser.add_argument('--workers', type=int, nargs='+', default=[0, 2], help='(data)')
    parser.add_argument('--samples', type=int, default=16, help='samples per worker count (data)')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--json', help='also write the numbers to this JSON file')
    return parser.parse_args()


def main():
    args = parse_args()
    MMLogger.get_instance('benchmark', log_level='WARNING')  # no per-parameter init log
    register_all_modules()
    cfg = load_config(args.config)
    if args.kind == 'data':
        with tempfile.TemporaryDirectory() as root:
            write_cityscapes_like(root, num_images=8)
            results = benchmark_data_pipeline(root, cfg.train_dataloader.dataset.pipeline,
                                              workers=args.workers, num_samples=args.samples)
        table = data_table(results)
        summary = ', '.join(f"{n} workers: {r['samples_per_s']:.2f} samples/s"
                            for n, r in results.items())
    else:
        cfg.model.data_preprocessor.size = None
        cfg.model.pretrained = None  # speed does not depend on the weights
        if cfg.model.backbone.get('pretrained'):  # TimmBackbone: nor on timm's own weights
            cfg.model.backbone.pretrained = False
        model = MODELS.build(cfg.model)
        model.init_weights()
        if args.kind == 'infer' and args.backends:
            model.cfg, model.dataset_meta = cfg, dataset_metainfo(cfg)
            results = benchmark_backends(model, args.shape, backends=args.backends,
                                         rounds=args.rounds, quant_options=args.quant_options)
            table = backends_table(results)
            best = max(results, key=lambda n: results[n]['ratio'])
            summary = (f"fastest: {best} at {results[best]['ratio']:.2f}x torch fp32 "
                       f"(int8 scales from random images: speed only)")
        elif args.kind == 'infer':
            results = benchmark_inference(model, args.shape, batch_size=args.batch,
                                          modes=select_modes(args.modes, args.device),
                                          rounds=args.rounds,
                                          device=args.device)
            table = inference_table(results)
            best = max((n for n in results if n != 'predict_overhead'),
                       key=lambda n: results[n]['ratio'])
            summary = (f"fastest: {best} at {results[best]['ratio']:.2f}x fp32; predict-path "
                       f"overhead {results['predict_overhead']['ratio']:.3f}")
        else:
            results = benchmark_training(model, args.shape, batch_size=args.batch,
                                         num_classes=model.num_classes, rounds=args.rounds,
                                         device=args.device)
            table = training_table(results)
            ratios = results['ratios']
            summary = (f"AMP {ratios['amp_speedup']:.2f}x fp32, AMP + channels-last "
                       f"{ratios['amp_channels_last_speedup']:.2f}x (bf16 conv ceiling "
                       f"{ratios['bf16_conv_speedup']:.2f}x); segkit/plain "
                       f"{ratios['overhead_fp32']:.3f} (fp32), {ratios['overhead_amp']:.3f} (amp)")
    header = (f'{args.kind} benchmark: {args.config}, shape {tuple(args.shape)}, '
              f'batch {args.batch}, torch {torch.__version__}\n'
              f'device: {device_summary(args.device)}')
    print(header, table, f'summary: {summary}', sep='\n')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(header=header, results={str(k): v for k, v in results.items()}),
                      f, indent=2)


if __name__ == '__main__':
    run_cli(main)
