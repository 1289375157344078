import pytest
import torch

from segkit.models.utils import class_argmax


@pytest.mark.parametrize('shape,dim', [((2, 19, 33, 17), 1), ((5, 9, 11), 0)])
def test_class_argmax_equals_argmax_including_ties(shape, dim):
    logits = torch.randint(0, 3, shape).float()  # many ties
    assert torch.equal(class_argmax(logits, dim=dim), logits.argmax(dim=dim))
    logits = torch.randn(shape, dtype=torch.bfloat16)
    assert torch.equal(class_argmax(logits, dim=dim), logits.argmax(dim=dim))
