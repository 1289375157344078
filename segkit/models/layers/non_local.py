"""NonLocal2d: the non-local block (Wang et al. 2018), with MMCV's parameter names."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from segkit.registry import MODELS
from segkit.utils.errors import ConfigError

from .conv_module import ConvModule

NONLOCAL_MODES = ('embedded_gaussian', 'dot_product', 'gaussian', 'concatenation')


@MODELS.register_module()
class NonLocal2d(nn.Module):
    """Non-local block: ``x + norm(conv_out(y))``, ``y_i = sum_j f(x_i, x_j) g(x_j)``.

    ``theta``, ``phi`` and ``g`` are 1x1 convs to ``in_channels // reduction`` channels.
    The pairwise function ``f`` of each mode, over the ``N`` key positions:

    - ``embedded_gaussian``: softmax_j(theta_i . phi_j / sqrt(C')) (no scale without
      ``use_scale``).
    - ``gaussian``: softmax_j(x_i . x_j) on the input itself (no theta, no phi conv).
    - ``dot_product``: theta_i . phi_j / N.
    - ``concatenation``: ReLU(w . [theta_i, phi_j]) / N, ``w`` the 1x1 ``concat_project``
      conv (computed as w1 . theta_i + w2 . phi_j, without the concatenated tensor).

    ``sub_sample`` adds a 2x2 max-pool after ``g`` and ``phi`` (the keys and values),
    a quarter of the key positions. ``conv_out``'s norm (its conv without a norm) starts
    at zero, so the block starts as the identity.

    Memory: the attention matrix has (H*W) x N entries per image, N = H*W (or a quarter
    with ``sub_sample``): it grows with the square of the feature area (a 128x256 feature
    map gives 32768^2 entries, 4 GiB in fp32); ``tools/analysis/nonlocal_memory.py`` prints
    the sizes. The softmax modes go through ``scaled_dot_product_attention``, whose fused
    kernels (CPU and CUDA) never store the matrix when queries, keys and values have the
    same channels, as in ``embedded_gaussian``; the other modes materialise it.

    Parameter names follow MMCV's ``NonLocal2d`` (``g``, ``theta``, ``phi``: ``.conv``;
    ``conv_out``: ``.conv`` + ``.bn``; ``concat_project.conv``; with ``sub_sample``,
    ``g.0`` and ``phi.0``), so MMSegmentation checkpoints load unchanged. segkit keeps its
    own block rather than ``mmcv.cnn.NonLocal2d`` because MMCV's always materialises the
    (H*W) x N matrix (4 GiB in fp32 for a whole Cityscapes image at output stride 8), which
    the fused path never stores; the two give the same outputs from the same weights
    (tested).

    Args:
        in_channels: input (and output) channels.
        reduction: channel reduction of theta, phi and g.
        use_scale: divide by sqrt(C') in ``embedded_gaussian`` mode.
        mode: one of ``NONLOCAL_MODES``.
        sub_sample: 2x2 max-pool the keys and values.
        norm_cfg: norm after ``conv_out``; None for none.
        init_std: std of the normal init of theta, phi and g.
    """

    def __init__(self, in_channels: int, reduction: int = 2, use_scale: bool = True,
                 mode: str = 'embedded_gaussian', sub_sample: bool = False,
                 norm_cfg: Optional[dict] = None, init_std: float = 0.01):
        super().__init__()
        if mode not in NONLOCAL_MODES:
            raise ConfigError(f'NonLocal2d mode {mode!r} is not supported; expected one of '
                              f'{NONLOCAL_MODES}')
        if reduction < 1 or in_channels // reduction < 1:
            raise ConfigError(f'NonLocal2d reduction {reduction} does not fit in_channels '
                              f'{in_channels}: expected 1 <= reduction <= in_channels')
        self.in_channels = in_channels
        self.inter_channels = in_channels // reduction
        self.use_scale = use_scale
        self.mode = mode
        self.sub_sample = sub_sample
        self.init_std = init_std

        pool = nn.MaxPool2d(kernel_size=2) if sub_sample else None
        self.g = self._projection(pool)
        if mode == 'gaussian':
            self.phi = pool if sub_sample else nn.Identity()
        else:
            self.theta = ConvModule(in_channels, self.inter_channels, 1, with_relu=False)
            self.phi = self._projection(pool)
        if mode == 'concatenation':
            self.concat_project = ConvModule(2 * self.inter_channels, 1, 1, bias=False)
        self.conv_out = ConvModule(self.inter_channels, in_channels, 1, norm_cfg=norm_cfg,
                                   with_relu=False)
        self.init_weights()

    def _projection(self, pool: Optional[nn.Module]) -> nn.Module:
        """A 1x1 conv to ``inter_channels``, followed by ``pool`` when given."""
        conv = ConvModule(self.in_channels, self.inter_channels, 1, with_relu=False)
        return nn.Sequential(conv, pool) if pool is not None else conv

    def init_weights(self) -> None:
        """N(0, init_std) for theta, phi and g; zeros for conv_out's norm (or conv)."""
        projections = [self.g] if self.mode == 'gaussian' else [self.g, self.theta, self.phi]
        for projection in projections:
            for m in projection.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.normal_(m.weight, std=self.init_std)
                    nn.init.zeros_(m.bias)
        last = self.conv_out.bn if self.conv_out.bn is not None else self.conv_out.conv
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)

    def _embed(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Queries ``(N, HW, C')``, keys ``(N, N_k, C')`` and values ``(N, N_k, C'')``."""
        query = x if self.mode == 'gaussian' else self.theta(x)
        # Contiguous: the fused attention kernels refuse transposed views.
        return tuple(t.flatten(2).transpose(1, 2).contiguous()
                     for t in (query, self.phi(x), self.g(x)))

    def _scale(self, query: torch.Tensor) -> float:
        if self.mode == 'embedded_gaussian' and self.use_scale:
            return query.shape[-1] ** -0.5
        return 1.0

    def _pairwise(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        """Attention weights ``(N, HW, N_k)``."""
        if self.mode == 'concatenation':
            weight = self.concat_project.conv.weight.flatten()
            from_query = query @ weight[:self.inter_channels]
            from_key = key @ weight[self.inter_channels:]
            return F.relu(from_query[:, :, None] + from_key[:, None, :]) / key.shape[1]
        scores = query @ key.transpose(1, 2)
        if self.mode == 'dot_product':
            return scores / key.shape[1]
        return (scores * self._scale(query)).softmax(dim=-1)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """The attention matrix ``(N, H*W, N_k)`` of input ``x``, materialised."""
        query, key, _ = self._embed(x)
        return self._pairwise(query, key)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        query, key, value = self._embed(x)
        if self.mode in ('embedded_gaussian', 'gaussian'):
            y = F.scaled_dot_product_attention(query[:, None], key[:, None], value[:, None],
                                               scale=self._scale(query))[:, 0]
        else:
            y = self._pairwise(query, key) @ value
        y = y.transpose(1, 2).reshape(n, self.inter_channels, h, w)
        return x + self.conv_out(y)


def attention_bytes(height: int, width: int, sub_sample: bool = False,
                    bytes_per_element: int = 4, batch_size: int = 1) -> int:
    """Bytes of :class:`NonLocal2d`'s attention matrix on a ``height x width`` feature map."""
    keys = (height // 2) * (width // 2) if sub_sample else height * width
    return batch_size * height * width * keys * bytes_per_element
