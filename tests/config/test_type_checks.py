"""Constructor parameters a config may set, read from the signatures along the MRO."""
import pytest

from segkit.config import load_config
from segkit.config.type_checks import init_parameters
from segkit.models.decode_heads import FCNHead, NLHead
from segkit.utils.errors import ConfigError
from tests.helpers import REPO


class Parent:
    def __init__(self, depth: int = 1, width: int = 2):
        self.depth, self.width = depth, width


class Child(Parent):
    def __init__(self, width: int = 3, scale: float = 1.0, **kwargs):
        super().__init__(depth=4, width=width, **kwargs)
        self.scale = scale


def test_keywords_a_subclass_passes_to_its_parent_are_not_config_keys():
    assert list(init_parameters(Child, injected=())) == ['width', 'scale']
    assert list(init_parameters(Parent, injected=())) == ['depth', 'width']
    with pytest.raises(TypeError, match='depth'):  # what the build would raise
        Child(depth=2)


def test_nlhead_fixes_fcnheads_num_convs():
    assert 'num_convs' in init_parameters(FCNHead, injected=())
    params = init_parameters(NLHead, injected=())
    assert 'num_convs' not in params
    assert {'kernel_size', 'concat_input', 'dilation', 'in_channels', 'reduction'} <= set(params)


def test_setting_nlheads_num_convs_fails_at_load_with_the_key():
    config = f'{REPO}/configs/nonlocal_r18_demo.py'
    with pytest.raises(ConfigError, match=r"unknown key 'model\.decode_head\.num_convs' for "
                                          r'NLHead; did you mean'):
        load_config(config, cfg_options={'model.decode_head.num_convs': 1})
