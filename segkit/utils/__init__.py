from .errors import CheckpointError, ConfigError, DataError, SegkitError, TrainingError
from .setup_env import register_all_modules

__all__ = ['SegkitError', 'ConfigError', 'DataError', 'CheckpointError', 'TrainingError',
           'register_all_modules']
