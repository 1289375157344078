"""Precision policy: the autocast dtype each device runs natively, decided in one place.

CPU: bfloat16 only where the instruction set has bf16 dot products (AVX512-BF16 or AMX);
elsewhere bf16 is emulated and much slower than fp32 (44x for a 3x3 conv on an AVX2
machine), so the automatic choice is fp32. GPU: bfloat16 from compute capability 8.0,
float16 (with a loss scaler when training) below. The limits that oneDNN and ATen honour,
``ONEDNN_MAX_CPU_ISA`` and ``ATEN_CPU_CAPABILITY``, count as the machine's, so a fast CPU
capped to AVX2 behaves like an AVX2 machine.
"""
import logging
import os
import platform
from typing import NamedTuple, Optional, Set

import torch
from mmengine.logging import print_log

from .errors import ConfigError

DTYPES = {'fp32': None, 'bf16': torch.bfloat16, 'fp16': torch.float16}
ALIASES = {'float32': 'fp32', 'bfloat16': 'bf16', 'float16': 'fp16'}
# oneDNN's ISA names in increasing order; bf16 dot products start at AVX512_CORE_BF16
ONEDNN_ISAS = ('SSE41', 'AVX', 'AVX2', 'AVX2_VNNI', 'AVX2_VNNI_2', 'AVX512_CORE',
               'AVX512_CORE_VNNI', 'AVX512_CORE_BF16', 'AVX10_1_512', 'AVX512_CORE_FP16',
               'AVX10_1_512_AMX', 'AVX512_CORE_AMX', 'AVX10_1_512_AMX_FP16',
               'AVX512_CORE_AMX_FP16')
BF16_FLAGS = ('avx512_bf16', 'amx_bf16')


class Precision(NamedTuple):
    """A precision decision: ``dtype`` None means fp32 (no autocast); ``emulated``: an
    explicitly requested dtype that the device does not run natively."""
    name: str  # 'fp32', 'bf16' or 'fp16'
    dtype: Optional[torch.dtype]
    reason: str
    emulated: bool = False


def cpu_flags() -> Set[str]:
    """The CPU feature flags of /proc/cpuinfo (empty where there is none)."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith(('flags', 'Features')):
                    return set(line.split(':', 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_model() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def onednn_allows(isa: str) -> bool:
    """Whether ``ONEDNN_MAX_CPU_ISA`` (when set to a known ISA) allows oneDNN's ``isa``."""
    cap = os.environ.get('ONEDNN_MAX_CPU_ISA', '').upper()
    return cap not in ONEDNN_ISAS or ONEDNN_ISAS.index(cap) >= ONEDNN_ISAS.index(isa)


def cpu_isa() -> str:
    """The vector ISA ATen dispatches to ('AVX512', 'AVX2', ...), with the oneDNN and MKL
    caps (``ONEDNN_MAX_CPU_ISA``, ``MKL_ENABLE_INSTRUCTIONS``) when set."""
    isa = torch.backends.cpu.get_cpu_capability()
    for name, env in (('oneDNN', 'ONEDNN_MAX_CPU_ISA'), ('MKL', 'MKL_ENABLE_INSTRUCTIONS')):
        cap = os.environ.get(env, '').upper()
        if cap and cap not in ('ALL', 'DEFAULT'):
            isa += f', {name} max {cap}'
    return isa


def cpu_native_bf16() -> Optional[str]:
    """None when the CPU runs bf16 natively, else why not (for the log)."""
    flags = cpu_flags()
    if flags and not any(flag in flags for flag in BF16_FLAGS):
        return 'the CPU has no AVX512-BF16 or AMX (bf16 is emulated, slower than fp32)'
    if not flags and not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return 'oneDNN reports no native bf16 on this CPU'
    capability = torch.backends.cpu.get_cpu_capability()
    if not capability.startswith('AVX512'):
        return (f'ATen is limited to {capability} (ATEN_CPU_CAPABILITY), which has no bf16 '
                'instructions')
    if not onednn_allows('AVX512_CORE_BF16'):
        return (f"oneDNN is limited to {os.environ['ONEDNN_MAX_CPU_ISA']} (ONEDNN_MAX_CPU_ISA), "
                'which has no bf16 instructions')
    return None


def native_precision(device) -> Precision:
    """The fastest autocast precision ``device`` runs natively (fp32 where none)."""
    device = torch.device(device)
    if device.type == 'cpu':
        why_not = cpu_native_bf16()
        if why_not is None:
            return Precision('bf16', torch.bfloat16, 'native bf16 (AVX512-BF16/AMX)')
        return Precision('fp32', None, why_not)
    if device.type == 'cuda':
        major, minor = torch.cuda.get_device_capability(device)
        if major >= 8:
            return Precision('bf16', torch.bfloat16, f'compute capability {major}.{minor} >= 8.0')
        return Precision('fp16', torch.float16,
                         f'compute capability {major}.{minor} < 8.0 has no fast bf16')
    return Precision('fp32', None, f'no mixed-precision policy for {device.type} devices')


def resolve_precision(device, requested: Optional[str] = 'auto') -> Precision:
    """The precision to run on ``device`` when ``requested`` is asked for.

    ``requested``: 'auto' (or None) for mixed precision where the device runs it natively
    and fp32 elsewhere; 'fp32'; or an explicit 'bf16'/'fp16' (also 'bfloat16'/'float16'),
    which runs even where it is emulated, with a warning that it will be slower.
    """
    requested = ALIASES.get(requested, requested or 'auto')
    if requested != 'auto' and requested not in DTYPES:
        raise ConfigError(f'precision {requested!r}: expected one of '
                         f"{['auto', *DTYPES, *ALIASES]}")
    native = native_precision(device)
    if requested == 'auto':
        return native
    if requested == 'fp32':
        return Precision('fp32', None, 'requested')
    if requested == native.name:
        return Precision(requested, DTYPES[requested], f'requested; {native.reason}')
    why = native.reason if native.dtype is None else f'its native mixed precision is {native.name}'
    return Precision(requested, DTYPES[requested],
                     f'requested; emulated on this device, expect it slower than fp32: {why}',
                     emulated=True)


def device_summary(device='cpu') -> str:
    """One line: the device, its ISA, native bf16 / VNNI / AMX and the thread count."""
    device = torch.device(device)
    if device.type == 'cuda':
        major, minor = torch.cuda.get_device_capability(device)
        return (f'{torch.cuda.get_device_name(device)}, compute capability {major}.{minor}, '
                f'native bf16 {"yes" if major >= 8 else "no"}')
    flags = cpu_flags()
    vnni = (('avx512_vnni' in flags and onednn_allows('AVX512_CORE_VNNI'))
            or ('avx_vnni' in flags and onednn_allows('AVX2_VNNI')))
    amx = 'amx_bf16' in flags and onednn_allows('AVX512_CORE_AMX')
    return (f'{cpu_model()}, ISA {cpu_isa()}, native bf16 '
            f'{"yes" if cpu_native_bf16() is None else "no"}, VNNI {"yes" if vnni else "no"}, '
            f'AMX {"yes" if amx else "no"}, {torch.get_num_threads()} threads')


def log_precision(precision: Precision, device, requested: Optional[str] = 'auto',
                  what: str = 'autocast') -> None:
    """Log the decision in one line with the device summary; a warning when an explicitly
    requested dtype is emulated."""
    if ALIASES.get(requested, requested or 'auto') == 'auto' and precision.dtype is None:
        decision = f'mixed precision requested, running fp32: {precision.reason}'
    else:
        decision = f'{precision.name} ({precision.reason})'
    print_log(f'{what}: {decision}; device: {device_summary(device)}', logger='current',
              level=logging.WARNING if precision.emulated else logging.INFO)
