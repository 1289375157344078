from .errors import CheckpointError, ConfigError, DataError, SegkitError, TrainingError

__all__ = ['SegkitError', 'ConfigError', 'DataError', 'CheckpointError', 'TrainingError']
