"""The two mmengine methods segkit copies still match the installed mmengine."""
import inspect

import mmengine
from mmengine.hooks import CheckpointHook
from mmengine.runner import IterBasedTrainLoop as MMEngineIterBasedTrainLoop

from segkit.checkpoint import SegCheckpointHook
from segkit.engine.loops import IterBasedTrainLoop

# The version whose IterBasedTrainLoop.run and CheckpointHook._save_checkpoint_with_step
# the copies follow: another one needs them compared again.
FOLLOWED = '0.10.7'


def test_the_copies_follow_the_installed_mmengine():
    assert mmengine.__version__ == FOLLOWED


def parameters(method) -> list:
    return list(inspect.signature(method).parameters)


def test_the_copies_take_the_arguments_of_mmengines_methods():
    assert parameters(IterBasedTrainLoop.run) == parameters(MMEngineIterBasedTrainLoop.run)
    assert parameters(SegCheckpointHook._save_checkpoint_with_step) == \
        parameters(CheckpointHook._save_checkpoint_with_step)
