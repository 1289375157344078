"""Errors for user mistakes: each carries a message that names what is wrong."""


class SegkitError(Exception):
    """Base class of the errors that tools print as one message, without a traceback."""


class ConfigError(SegkitError, ValueError):
    """A config names an unknown key or type, or a value of the wrong kind."""


class DataError(SegkitError, ValueError):
    """A dataset file is missing, unreadable or holds values that do not fit the config."""


class CheckpointError(SegkitError, RuntimeError):
    """A checkpoint is missing, unsafe to load, or does not fit the model."""


class TrainingError(SegkitError, RuntimeError):
    """Training cannot go on: a loss or the weights became NaN or infinite."""


class DeployError(SegkitError, RuntimeError):
    """A deployed model (.onnx) is unreadable, belongs to another config, or its backend
    package is missing."""
