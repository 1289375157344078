"""Run a converter function over many files, in processes, with a progress bar."""
from typing import Callable, Sequence

from mmengine.utils import track_parallel_progress, track_progress


def map_with_progress(func: Callable, tasks: Sequence, nproc: int = 1) -> list:
    """``[func(task) for task in tasks]`` in ``nproc`` processes, showing a progress bar.

    ``func`` must be picklable (a module-level function or a ``functools.partial`` of one)
    when ``nproc > 1``; an exception raised in a worker is raised here.
    """
    if nproc > 1:
        return track_parallel_progress(func, list(tasks), nproc)
    return track_progress(func, list(tasks))
