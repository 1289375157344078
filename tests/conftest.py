"""Shared fixtures: registries in scope, a tiny demo dataset, one torch thread."""
import numpy as np
import pytest
import torch

from segkit.registry import register_all_modules

register_all_modules()
torch.set_num_threads(2)


@pytest.fixture(scope='session')
def demo_root(tmp_path_factory) -> str:
    """A small demo dataset (24 train, 8 val images of 64x64) in the VOC layout."""
    from segkit.datasets.demo_data import prepare_demo_data
    root = str(tmp_path_factory.mktemp('demo'))
    prepare_demo_data(root=root, num_train=24, num_val=8, size=64, seed=0)
    return root


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture
def one_thread():
    """One torch thread: two spin-waiting threads crawl on a busy 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
