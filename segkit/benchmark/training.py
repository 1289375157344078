"""Training speed of a config's model: segkit's train step vs a plain PyTorch loop, fp32 vs AMP."""
import copy
import os
import sys
import tempfile
from contextlib import contextmanager, nullcontext
from typing import Callable, Dict

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from torch import nn
from torch.profiler import ProfilerActivity, profile

from segkit.engine.optimizers import AmpOptimWrapper, OptimWrapper
from segkit.models.utils import resize, to_channels_last
from segkit.structures import SegDataSample
from segkit.utils.precision import native_precision

from .timing import format_table, interleaved_times

KINETO_SILENT = 6  # above kineto's highest log level (USDT = 5): prints nothing
# PyTorch's notice when a step frees a block allocated before the profile: expected, since
# the profile counts what the step itself allocates.
ALLOCATOR_NOTICE = 'allocated before the profiling started'


def make_batch(batch_size: int, shape, num_classes: int, device) -> dict:
    """Random uint8 images and labels, packed like the data loader packs them."""
    images = torch.randint(0, 256, (batch_size, 3, *shape), dtype=torch.uint8, device=device)
    samples = []
    for _ in range(batch_size):
        sample = SegDataSample(metainfo=dict(img_shape=tuple(shape), ori_shape=tuple(shape)))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, num_classes, (1, *shape),
                                                         dtype=torch.uint8, device=device))
        samples.append(sample)
    return dict(inputs=list(images), data_samples=samples)


def plain_step(model, optimizer, batch: dict, amp: bool) -> None:
    """The same training step written in plain PyTorch: normalise, forward, CE, backward, SGD;
    ``amp``: autocast to the device's native mixed precision, as ``AmpOptimWrapper`` does."""
    pre = model.data_preprocessor
    x = torch.stack(batch['inputs'])[:, [2, 1, 0]].float()
    x = (x - pre.mean) / pre.std
    labels = torch.stack([s.gt_sem_seg.data[0] for s in batch['data_samples']]).long()
    dtype = native_precision(x.device).dtype if amp else None
    context = nullcontext() if dtype is None else torch.autocast(x.device.type, dtype=dtype)
    with context:
        feats = model.backbone(x)
        heads = [(model.decode_head, 1.0)]
        if model.auxiliary_head is not None:
            heads.append((model.auxiliary_head, model.auxiliary_head.loss_decode[0].loss_weight))
        size = labels.shape[1:]
        loss = sum(weight * F.cross_entropy(resize(head(feats, size, dict(img=x))['seg'], size),
                                            labels, ignore_index=255) for head, weight in heads)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def peak_memory_mb(step: Callable[[], None]) -> float:
    """Peak memory allocated during one training step.

    On GPU the CUDA allocator's peak; on CPU the peak of the running sum of the tensor
    allocations and frees that the profiler records, in order.
    """
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
        step()
        return torch.cuda.max_memory_allocated() / 2**20
    # The profiler's library (kineto) prints start/stop markers and a failed CUDA device
    # probe ("gpuGetDeviceCount failed") on stderr, none of which concerns a CPU profile; it
    # reads its log level from the environment when first used.
    os.environ.setdefault('KINETO_LOG_LEVEL', str(KINETO_SILENT))
    with _without_stderr_lines(ALLOCATOR_NOTICE), \
            profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    current = peak = 0
    for event in sorted(prof.events(), key=lambda e: e.time_range.start):
        current += event.self_cpu_memory_usage
        peak = max(peak, current)
    return peak / 2**20


@contextmanager
def _without_stderr_lines(text: str):
    """Drop the lines containing ``text`` that native code writes to stderr meanwhile; the
    other lines are written out afterwards."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode(errors='replace').splitlines(keepends=True)
            sys.stderr.write(''.join(line for line in lines if text not in line))
            sys.stderr.flush()


def bf16_conv_speedup(device: torch.device, shape=(4, 256, 64, 64), rounds: int = 3) -> float:
    """How much faster ``device`` runs a 3x3 convolution (input ``shape``, as many output
    channels, channels last) in bf16 than in fp32: the ceiling of the bf16 speed-up of a
    convolutional model (2x on CPUs with AVX512-BF16 and no AMX, whose bf16 dot product
    does twice the multiply-adds of an fp32 FMA; far below 1 where bf16 is emulated)."""
    channels = shape[1]
    conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False).to(
        device, memory_format=torch.channels_last)
    x = torch.randn(*shape, device=device).contiguous(memory_format=torch.channels_last)
    half_conv, half_x = copy.deepcopy(conv).bfloat16(), x.bfloat16()
    with torch.no_grad():
        times = interleaved_times({'fp32': lambda: conv(x), 'bf16': lambda: half_conv(half_x)},
                                  rounds=rounds)
    return times['fp32'] / times['bf16']


def benchmark_training(model: torch.nn.Module, shape, batch_size: int, num_classes: int,
                       lr: float = 0.01, rounds: int = 5, device: str = 'cpu',
                       ceiling_shape=(4, 256, 64, 64)) -> Dict[str, dict]:
    """Time one iteration of: segkit fp32, plain fp32, segkit AMP, plain AMP, and segkit AMP
    with the model in channels-last layout (``--amp --channels-last``).

    Returns ``{name: dict(iter_s, iters_per_s, peak_mb)}`` plus ratios 'amp_speedup'
    (segkit AMP vs segkit fp32), 'amp_channels_last_speedup' (segkit AMP channels-last vs
    segkit fp32), 'overhead_fp32' / 'overhead_amp' (segkit step time / plain loop time)
    and 'bf16_conv_speedup' (bf16 vs fp32 speed of a conv of input ``ceiling_shape``: the
    ceiling of 'amp_speedup' where the device runs bf16 natively). AMP follows the precision
    policy: where bf16 would be emulated it runs fp32 (ratio about 1).
    """
    device = torch.device(device)
    batch = make_batch(batch_size, shape, num_classes, device)
    steps = {}
    for name, amp in (('segkit fp32', False), ('plain fp32', False), ('segkit amp', True),
                      ('plain amp', True), ('segkit amp channels-last', True)):
        net = copy.deepcopy(model).to(device).train()
        if name.endswith('channels-last'):
            to_channels_last(net)
        optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
        if name.startswith('segkit'):
            wrapper = (AmpOptimWrapper if amp else OptimWrapper)(optimizer=optimizer)
            steps[name] = lambda net=net, wrapper=wrapper: net.train_step(batch, wrapper)
        else:
            steps[name] = lambda net=net, optimizer=optimizer, amp=amp: plain_step(
                net, optimizer, batch, amp)
    times = interleaved_times(steps, rounds=rounds, warmup=1)
    results = {name: dict(iter_s=t, iters_per_s=1 / t, peak_mb=peak_memory_mb(steps[name]))
               for name, t in times.items()}
    results['ratios'] = dict(amp_speedup=times['segkit fp32'] / times['segkit amp'],
                             amp_channels_last_speedup=(times['segkit fp32'] /
                                                        times['segkit amp channels-last']),
                             overhead_fp32=times['segkit fp32'] / times['plain fp32'],
                             overhead_amp=times['segkit amp'] / times['plain amp'],
                             bf16_conv_speedup=bf16_conv_speedup(device, ceiling_shape))
    return results


def training_table(results: Dict[str, dict]) -> str:
    rows = [(name, f"{r['iter_s']:.3f}", f"{r['iters_per_s']:.3f}", f"{r['peak_mb']:.0f}")
            for name, r in results.items() if name != 'ratios']
    ratios = results['ratios']
    return (format_table(rows, ('variant', 's/iter', 'iters/s', 'peak MB')) +
            f"\nAMP speed-up (segkit): {ratios['amp_speedup']:.2f}x, with channels-last "
            f"{ratios['amp_channels_last_speedup']:.2f}x; segkit step / plain loop: "
            f"fp32 {ratios['overhead_fp32']:.3f}, amp {ratios['overhead_amp']:.3f}"
            f"\nbf16 / fp32 speed of a 3x3 conv on this device (the AMP ceiling): "
            f"{ratios['bf16_conv_speedup']:.2f}x")
