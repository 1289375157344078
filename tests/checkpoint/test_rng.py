"""Random generator states: saved as safe plain data, restored exactly, preserved by a block."""
import random

import numpy as np
import torch

from segkit.checkpoint.rng import preserved_rng, rng_state, set_rng_state


def draws() -> tuple:
    return torch.rand(3).tolist(), np.random.rand(3).tolist(), random.random()


def test_state_round_trips_through_a_weights_only_checkpoint(tmp_path):
    torch.save({'rng': rng_state()}, tmp_path / 'state.pth')
    expected = draws()
    set_rng_state(torch.load(tmp_path / 'state.pth', weights_only=True)['rng'])
    assert draws() == expected


def test_preserved_block_leaves_the_streams_alone():
    state = rng_state()
    expected = draws()
    set_rng_state(state)
    with preserved_rng():
        draws()
    assert draws() == expected
