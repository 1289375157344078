from .errors import CheckpointError, ConfigError, DataError, SegkitError
from .setup_env import register_all_modules

__all__ = ['SegkitError', 'ConfigError', 'DataError', 'CheckpointError', 'register_all_modules']
