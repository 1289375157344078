"""Safe checkpoint loading for the Runner: ``weights_only=True`` everywhere.

segkit's own checkpoints hold only tensors and plain Python values (the message hub is
stored as lists by :class:`SafeCheckpointHook`), so they load with PyTorch's default
allowlist. Third-party weights may also hold NumPy arrays and scalars, which are allowed;
nothing else is. This module replaces mmengine's loaders of local files and of
``http(s)://``, ``open-mmlab://`` and ``torchvision://`` names with
:func:`segkit.utils.checkpoint_io.safe_load` (URLs are downloaded once into the torch hub
cache), so the Runner's ``load_from`` and ``resume`` go through it.
"""
from mmengine.runner import CheckpointLoader

from segkit.utils.checkpoint_io import safe_load
from segkit.utils.download import OPENMMLAB_PREFIXES, TORCHVISION_PREFIX, URL_PREFIXES

CheckpointLoader.register_scheme(prefixes='', loader=safe_load, force=True)
CheckpointLoader.register_scheme(
    prefixes=URL_PREFIXES + OPENMMLAB_PREFIXES + (TORCHVISION_PREFIX,),
    loader=safe_load, force=True)
