"""Checkpoints: reading, checking, loading, saving, resuming and converting them.

Every checkpoint file a user names (``load_from``/``resume``, ``pretrained``/``init_cfg``,
``tools/test.py CHECKPOINT``, ``init_model``, the converters) is read by
:func:`~segkit.checkpoint.io.safe_load`, which resolves the name to a local file with
:func:`~segkit.checkpoint.io.local_checkpoint` (the trusted loader, the one reader allowed
to run a pickle's code, resolves through it too). The package imports nothing of segkit
but :mod:`segkit.utils` and :mod:`segkit.registry`.

- :mod:`.io`: the safe reader with its diagnosis of unreadable files, atomic writes.
- :mod:`.state_dict`: the weights of a checkpoint, how they fit a model, loading them.
- :mod:`.plain`: the one walker that turns configs and checkpoint state into plain data.
- :mod:`.keys`: which model config keys a checkpoint does not depend on.
- :mod:`.saving`: what every saved checkpoint holds beside the weights, and restoring it;
  :class:`SegCheckpointHook` and :class:`SafeCheckpointHook` save and load it.
- :mod:`.rng`: the random generators' states as plain data.
- :mod:`.resume`: which checkpoint a work dir continues from, and whether it can.
- :mod:`.trusted`, :mod:`.convert`: from a trusted pickle, from MMSegmentation.
- :mod:`.mmengine_io`: :func:`install` routes the Runner's reads and local writes here.
"""
from .atomic_local_backend import AtomicLocalBackend
from .convert import build_model_skeleton, convert_mmseg_checkpoint
from .io import (atomic_write, local_checkpoint, remove_partial_writes, safe_load,
                 save_checkpoint_file)
from .keys import INFERENCE_NEUTRAL_KEYS, TRAINING_NEUTRAL_KEYS
from .mmengine_io import install
from .plain import plain_cfg, walk
from .resume import check_resumable, check_same_model, latest_checkpoint
from .safe_checkpoint_hook import SafeCheckpointHook
from .saving import setup_checkpointing
from .seg_checkpoint_hook import SegCheckpointHook
from .state_dict import (KeyReport, check_state_dict, load_model_weights, load_pretrained,
                         state_dict_of, strip_ddp_prefix)
from .trusted import plain_data, trust_checkpoint

__all__ = ['AtomicLocalBackend', 'INFERENCE_NEUTRAL_KEYS', 'KeyReport', 'SafeCheckpointHook',
           'SegCheckpointHook', 'TRAINING_NEUTRAL_KEYS', 'atomic_write', 'build_model_skeleton',
           'check_resumable', 'check_same_model', 'check_state_dict', 'convert_mmseg_checkpoint',
           'install', 'latest_checkpoint', 'load_model_weights', 'load_pretrained',
           'local_checkpoint', 'plain_cfg', 'plain_data', 'remove_partial_writes', 'safe_load',
           'save_checkpoint_file', 'setup_checkpointing', 'state_dict_of', 'strip_ddp_prefix',
           'trust_checkpoint', 'walk']
