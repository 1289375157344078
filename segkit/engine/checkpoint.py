"""Safe checkpoint loading for the Runner: ``weights_only=True`` everywhere.

segkit's own checkpoints hold only tensors and plain Python values (the message hub is
stored as lists by :class:`SafeCheckpointHook`), so they load with PyTorch's default
allowlist. Third-party weights may also hold NumPy arrays and scalars, which are allowed;
nothing else is. This module replaces mmengine's local-file and ``open-mmlab://``
loaders with :func:`segkit.utils.checkpoint_io.safe_load` and a refusal that names the
file to download, so the Runner's ``load_from`` and ``resume`` go through them.
"""
from mmengine.runner import CheckpointLoader

from segkit.utils.checkpoint_io import refuse_openmmlab, safe_load

CheckpointLoader.register_scheme(prefixes='', loader=safe_load, force=True)
CheckpointLoader.register_scheme(prefixes='open-mmlab://', loader=refuse_openmmlab, force=True)
