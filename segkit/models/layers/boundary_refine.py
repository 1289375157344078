"""BoundaryRefine: GCN's residual boundary refinement block."""
import torch
from torch import nn

from segkit.registry import MODELS


@MODELS.register_module()
class BoundaryRefine(nn.Module):
    """Boundary Refinement (Peng et al. 2017): ``x + conv3x3(ReLU(conv3x3(x)))``, no norm.

    Args:
        channels: input and output channels (the number of classes in GCN).
    """

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(self.relu(self.conv1(x)))
