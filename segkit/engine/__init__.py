"""Runner glue that mmengine lacks: AMP on CPU, hooks, loops; checkpoints from segkit.checkpoint."""
from segkit import checkpoint

from .hooks import *  # noqa: F401,F403
from .loops import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403

checkpoint.install()  # the Runner reads checkpoints safely and writes local files atomically
