"""Runner glue that mmengine lacks: safe checkpoints, atomic writes, AMP on CPU, hooks."""
from . import atomic_local_backend  # noqa: F401  (registers the atomic 'local' file backend)
from . import checkpoint  # noqa: F401  (registers the safe checkpoint loaders)
from .hooks import *  # noqa: F401,F403
from .loops import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
