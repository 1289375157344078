"""Every Runner config saves with segkit's checkpoint hooks; runner state as plain data."""
import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer

from segkit.checkpoint import setup_checkpointing
from segkit.checkpoint.saving import from_plain, to_plain


def test_mmengines_hook_name_runs_as_segkits_and_safe_saving_is_added():
    cfg = Config(dict(default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=5)),
                      custom_hooks=[dict(type='CheckInvalidLossHook')]))
    setup_checkpointing(cfg)
    assert cfg.default_hooks.checkpoint == dict(type='SegCheckpointHook', interval=5)
    assert [h['type'] for h in cfg.custom_hooks] == ['SafeCheckpointHook', 'CheckInvalidLossHook']


def test_a_listed_safe_hook_is_not_added_twice():
    cfg = Config(dict(custom_hooks=[dict(type='SafeCheckpointHook')]))
    setup_checkpointing(cfg)
    assert cfg.custom_hooks == [dict(type='SafeCheckpointHook')]


def test_runner_state_round_trip_loads_weights_only(tmp_path):
    buffer = HistoryBuffer(log_history=[1.0, 2.0], count_history=[1, 2], max_length=5)
    checkpoint = {'meta': {'seed': np.int64(3), 'shape': (1, 2)},
                  'message_hub': {'log_scalars': {'loss': buffer}, 'runtime_info': {'x': [1]}}}
    to_plain(checkpoint)
    torch.save(checkpoint, tmp_path / 'c.pth')
    loaded = torch.load(tmp_path / 'c.pth', weights_only=True)
    assert loaded['meta'] == {'seed': 3, 'shape': (1, 2)}
    from_plain(loaded)
    rebuilt = loaded['message_hub']['log_scalars']['loss']
    assert isinstance(rebuilt, HistoryBuffer) and rebuilt.max_length == 5
    assert [a.tolist() for a in rebuilt.data] == [[1.0, 2.0], [1, 2]]
