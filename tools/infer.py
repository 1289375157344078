"""Predict images and videos: python tools/infer.py CONFIG CHECKPOINT INPUT... --out-dir DIR.

Each INPUT is an image, a folder of images, a video file or a camera index ('0'). For an
image ``NAME.ext`` it writes ``DIR/masks/NAME.png`` (palette PNG: pixel values are class
indices, shown in the dataset's colours) and ``DIR/overlays/NAME.png`` (the colours blended
over the image); for a video ``DIR/videos/NAME.mp4`` (the overlay of every frame; a camera
runs until --max-frames or Ctrl-C). CHECKPOINT may be an exported .onnx model
(``--backend onnxruntime|openvino``).
"""
import argparse
import os
import os.path as osp

from mmengine.utils import ProgressBar
from PIL import Image

from segkit.apis import SegInferencer
from segkit.apis.video import is_video_source, predict_video, video_output_name
from segkit.deploy import BACKENDS
from segkit.utils.cli import CfgOptionsAction, run_cli
from segkit.utils.errors import ConfigError
from segkit.visualization import overlay, read_display_image, save_label_png


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Predict class maps for images')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file or URL (http(s)://, downloaded once '
                        'into the torch hub cache), or an exported .onnx model')
    parser.add_argument('inputs', nargs='+', metavar='INPUT',
                        help='images, folders of images, video files or camera indices')
    parser.add_argument('--out-dir', required=True, help='where masks/ and overlays/ go')
    parser.add_argument('--opacity', type=float, default=0.5,
                        help='weight of the class colours in the overlays (0..1)')
    parser.add_argument('--batch-size', type=int, default=1, help='images per forward pass')
    parser.add_argument('--device', default='cpu', help="'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument('--backend', choices=BACKENDS, default='onnxruntime',
                        help='runtime of a .onnx model')
    parser.add_argument('--display-channels', type=int, nargs=3, metavar='C',
                        help='image channels shown as red, green, blue in the overlays of '
                             'N-channel images (default: the first three)')
    parser.add_argument('--max-frames', type=int, help='stop each video after this many frames')
    parser.add_argument('--tta', action='store_true',
                        help="test-time augmentation: the config's tta_pipeline (scales, flips) "
                             'and tta_model, as tools/test.py --tta')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction, default=None,
                        help='override config values, e.g. model.test_cfg.mode=slide')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if not 0 <= args.opacity <= 1:
        raise ConfigError(f'--opacity {args.opacity}: expected a value in [0, 1]')
    if args.max_frames is not None and args.max_frames < 1:
        raise ConfigError(f'--max-frames {args.max_frames}: expected a positive number')
    videos = [item for item in args.inputs if is_video_source(item)]
    inferencer = SegInferencer(args.config, args.checkpoint, device=args.device,
                               batch_size=args.batch_size, cfg_options=args.cfg_options,
                               backend=args.backend, tta=args.tta)
    paths = inferencer.expand_inputs([item for item in args.inputs if item not in videos])
    if paths:
        predict_images(inferencer, paths, args.out_dir, args.opacity, args.display_channels)
    for source in videos:
        predict_video_file(inferencer, source, args.out_dir, args.opacity, args.max_frames)


def predict_images(inferencer: SegInferencer, paths: list, out_dir: str, opacity: float,
                   display_channels=None):
    names = [osp.splitext(osp.basename(p))[0] + '.png' for p in paths]
    if len(set(names)) < len(names):
        clash = next(n for n in names if names.count(n) > 1)
        raise ConfigError(f'several inputs would be saved as {clash}; give inputs with '
                          'distinct file names')
    for sub in ('masks', 'overlays'):
        os.makedirs(osp.join(out_dir, sub), exist_ok=True)
    progress = ProgressBar(len(paths))
    for name, (path, label) in zip(names, inferencer.iter_predictions(paths)):
        save_label_png(label, inferencer.palette, osp.join(out_dir, 'masks', name))
        img = read_display_image(path, display_channels)
        blend = overlay(img, label, inferencer.palette, opacity=opacity)
        Image.fromarray(blend).save(osp.join(out_dir, 'overlays', name))
        progress.update()
    print(f'\nsaved {len(paths)} masks and overlays under {out_dir}')


def predict_video_file(inferencer: SegInferencer, source: str, out_dir: str, opacity: float,
                       max_frames):
    """Write the overlay video of ``source``, with a progress bar and the frames/s."""
    os.makedirs(osp.join(out_dir, 'videos'), exist_ok=True)
    out_file = osp.join(out_dir, 'videos', video_output_name(source))
    progress = None

    def on_frame(done, total):
        nonlocal progress
        if progress is None:
            progress = ProgressBar(total)
        progress.update()
    stats = predict_video(inferencer, source, out_file, opacity=opacity,
                          max_frames=max_frames, on_frame=on_frame)
    print(f"\n{source}: {stats['frames']} frames in {stats['seconds']:.1f} s "
          f"({stats['fps']:.2f} frames/s) -> {out_file}")


if __name__ == '__main__':
    run_cli(main)
