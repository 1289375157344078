"""Route mmengine's checkpoint reads and local writes through this package.

segkit's own checkpoints hold only tensors and plain Python values (the message hub is
stored as plain data, see :mod:`segkit.checkpoint.plain`), so they load with PyTorch's
default allowlist. Third-party weights may also hold NumPy arrays and scalars, which are
allowed; nothing else is.
"""
from mmengine.fileio import register_backend
from mmengine.runner import CheckpointLoader

from .atomic_local_backend import AtomicLocalBackend
from .io import safe_load

# The name prefixes mmengine 0.10.7's CheckpointLoader knows: every one is read by safe_load.
MMENGINE_SCHEMES = ('', 'http://', 'https://', 'open-mmlab://', 'openmmlab://', 'mmcls://',
                    'modelzoo://', 'torchvision://', 'pavi://', r'(\S+\:)?s3://',
                    r'(\S+\:)?petrel://')


def install() -> None:
    """Make the Runner read checkpoints with :func:`~segkit.checkpoint.io.safe_load`
    (``load_from``, ``resume``, ``init_cfg`` through mmengine) and write local files with
    :class:`AtomicLocalBackend` (checkpoints, ``last_checkpoint``)."""
    for prefix in MMENGINE_SCHEMES:
        CheckpointLoader.register_scheme(prefixes=prefix, loader=safe_load, force=True)
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
