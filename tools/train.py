"""Train a segmentation model: python tools/train.py CONFIG [options]."""
import argparse

from segkit.apis import run_train
from segkit.utils.cli import CfgOptionsAction, run_cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', nargs='?', help='config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument('--resume', nargs='?', const='auto', default=None, metavar='PATH',
                        help='resume from PATH, or from the latest checkpoint in the work dir')
    parser.add_argument('--overwrite', action='store_true',
                        help="train anew in a work dir holding an earlier run's checkpoints, "
                             'writing over them')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision where this device runs it natively (bf16 on '
                             'AVX512-BF16/AMX CPUs and GPUs >= 8.0, fp16 on older GPUs); fp32 '
                             'elsewhere, where bf16 would be emulated and slower (logged)')
    parser.add_argument('--channels-last', action='store_true',
                        help='weights and activations in NHWC layout (faster convs, with --amp '
                             'especially)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help="scale the learning rate by the actual total batch over the "
                             "recipe's (auto_scale_lr.base_batch_size in the config)")
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction, default=None,
                        help='override config values, e.g. train_cfg.max_iters=100')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none',
                        help="'pytorch' under torchrun, 'slurm' under srun")
    args = parser.parse_args(argv)
    if args.resume is not None and args.resume.endswith('.py'):
        if args.config is not None:  # a config is no checkpoint to resume from
            parser.error(f'--resume {args.resume}: expected a checkpoint (.pth), or --resume '
                         'alone for the latest in the work dir; it names a config')
        # '--resume CONFIG ...': --resume took the config; resume from the latest checkpoint
        args.config, args.resume = args.resume, 'auto'
    if args.config is None:
        parser.error('the following arguments are required: config')
    return args


def main(argv=None):
    args = parse_args(argv)
    run_train(args.config, work_dir=args.work_dir, resume=args.resume, amp=args.amp,
              channels_last=args.channels_last, cfg_options=args.cfg_options,
              launcher=args.launcher, auto_scale_lr=args.auto_scale_lr,
              overwrite=args.overwrite)


if __name__ == '__main__':
    run_cli(main)
