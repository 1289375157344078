"""Time of IoUMetric.process on Cityscapes-size predictions vs the model's inference time.

    python tools/analysis/benchmark.py infer CONFIG --shape 1024 2048 --json infer.json
    python tools/analysis/metric_overhead.py --infer-json infer.json [--samples 500]

Random (H, W) predictions and labels go through ``IoUMetric.process`` one image at a time,
as the test loop feeds them; the printed ratio is the metric's time over ``samples`` x each
inference mode's per-image latency from the benchmark's JSON.
"""
import argparse
import json
import time

import torch

from segkit.evaluation.metrics import IoUMetric
from segkit.utils.cli import run_cli

POOL = 4  # distinct random pairs, reused: 500 Cityscapes-size pairs do not fit in memory


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--infer-json', required=True,
                        help='output of tools/analysis/benchmark.py infer --json')
    parser.add_argument('--samples', type=int, default=500)
    parser.add_argument('--shape', type=int, nargs=2, default=[1024, 2048], metavar=('H', 'W'))
    parser.add_argument('--num-classes', type=int, default=19)
    return parser.parse_args()


def time_metric(samples: int, shape, num_classes: int) -> float:
    """Seconds for ``samples`` calls of IoUMetric.process on random pred/gt pairs."""
    metric = IoUMetric()
    metric.dataset_meta = dict(classes=[str(i) for i in range(num_classes)])
    pairs = [dict(pred_sem_seg=dict(data=torch.randint(0, num_classes, (1, *shape))),
                  gt_sem_seg=dict(data=torch.randint(0, 256, (1, *shape), dtype=torch.uint8)
                                  .clamp_(max=num_classes - 1)))
             for _ in range(POOL)]
    start = time.perf_counter()
    for i in range(samples):
        metric.process(None, [pairs[i % POOL]])
    return time.perf_counter() - start


def main():
    args = parse_args()
    with open(args.infer_json) as f:
        infer = json.load(f)
    metric_s = time_metric(args.samples, args.shape, args.num_classes)
    print(f'IoUMetric.process on {args.samples} predictions of {tuple(args.shape)}, '
          f'{args.num_classes} classes: {metric_s:.2f} s ({metric_s / args.samples * 1000:.1f} '
          f'ms each), {torch.get_num_threads()} threads')
    print(f"inference: {infer['header']}")
    for mode, result in infer['results'].items():
        if mode == 'predict_overhead':
            continue
        model_s = args.samples * result['latency_s']
        print(f'{mode}: inference {model_s:.1f} s, metric / inference = '
              f'{metric_s / model_s * 100:.2f}%')


if __name__ == '__main__':
    run_cli(main)
