"""Segment a video file or a camera stream into an overlay video."""
import os.path as osp
import time
from typing import Callable, Optional

import cv2

from segkit.utils.errors import ConfigError, DataError
from segkit.visualization import overlay

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v')
FOURCC = {'.avi': 'MJPG'}  # everything else is written as MPEG-4 part 2
DEFAULT_FPS = 25.0  # cameras that report no frame rate


def is_video_source(item) -> bool:
    """A video file (by extension) or a camera index such as '0'."""
    return isinstance(item, str) and (item.isdigit() or item.lower().endswith(VIDEO_EXTENSIONS))


def video_output_name(source: str) -> str:
    """``NAME.mp4`` for ``NAME.ext`` (``NAME.avi`` stays AVI), ``cameraN.mp4`` for a camera."""
    if source.isdigit():
        return f'camera{source}.mp4'
    stem, ext = osp.splitext(osp.basename(source))
    return stem + ('.avi' if ext.lower() == '.avi' else '.mp4')


def predict_video(inferencer, source: str, out_file: str, opacity: float = 0.5,
                  max_frames: Optional[int] = None,
                  on_frame: Optional[Callable[[int, int], None]] = None) -> dict:
    """Write the class colours blended over each frame of ``source`` to ``out_file``.

    Frames go through ``inferencer`` (a :class:`SegInferencer`, any backend) in its batches.
    A camera runs until ``max_frames`` or Ctrl-C; the frames written so far are kept.

    Args:
        inferencer: predicts ``(H, W)`` class maps of BGR frames; has ``palette``.
        source: a video file, or a camera index ('0').
        out_file: the overlay video (frame size and rate of the source).
        opacity: weight of the class colours.
        max_frames: stop after this many frames.
        on_frame: called as ``on_frame(frames_done, total)`` after each frame; ``total`` is
            0 when unknown (a camera without ``max_frames``).

    Returns:
        ``dict(frames, seconds, fps)``: frames written and the end-to-end frames/s.
    """
    if not 0 <= opacity <= 1:
        raise ConfigError(f'--opacity {opacity}: expected a value in [0, 1]')
    camera = source.isdigit()
    if not camera and not osp.isfile(source):
        raise DataError(f'input not found: {source}')
    capture = cv2.VideoCapture(int(source) if camera else source)
    if not capture.isOpened():
        raise DataError(f'cannot open {"camera " if camera else "video "}{source}: '
                        + ('no such camera' if camera else 'not a video OpenCV can decode'))
    rate = capture.get(cv2.CAP_PROP_FPS) or DEFAULT_FPS
    total = 0 if camera else int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    if max_frames is not None:
        total = min(total, max_frames) if total else max_frames
    writer, done, start = None, 0, time.perf_counter()
    try:
        while max_frames is None or done < max_frames:
            frames = []
            while len(frames) < inferencer.batch_size and (max_frames is None
                                                           or done + len(frames) < max_frames):
                ok, frame = capture.read()
                if not ok:
                    break
                frames.append(frame)
            if not frames:
                break
            if writer is None:
                writer = _open_writer(out_file, rate, frames[0].shape[1], frames[0].shape[0])
            for frame, label in zip(frames, inferencer(frames)):
                writer.write(overlay(frame[..., ::-1], label, inferencer.palette,
                                     opacity=opacity)[..., ::-1])
                done += 1
                if on_frame is not None:
                    on_frame(done, total)
    except KeyboardInterrupt:
        if not camera:
            raise
    finally:
        capture.release()
        if writer is not None:
            writer.release()
    if done == 0:
        raise DataError(f'{source}: no frames could be read')
    seconds = time.perf_counter() - start
    return dict(frames=done, seconds=seconds, fps=done / seconds)


def _open_writer(out_file: str, rate: float, width: int, height: int) -> cv2.VideoWriter:
    fourcc = FOURCC.get(osp.splitext(out_file)[1].lower(), 'mp4v')
    writer = cv2.VideoWriter(out_file, cv2.VideoWriter_fourcc(*fourcc), rate, (width, height))
    if not writer.isOpened():
        raise DataError(f'cannot write {out_file}: OpenCV has no {fourcc} encoder here')
    return writer
