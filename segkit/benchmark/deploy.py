"""Inference speed of a model on PyTorch and the deployment runtimes, side by side."""
import copy
import os.path as osp
import tempfile
from typing import Dict, Optional, Sequence

import numpy as np
import torch

from segkit.deploy.backends import load_backend
from segkit.deploy.export import export_onnx
from segkit.deploy.export_wrapper import ExportWrapper, split_inputs, to_numpy
from segkit.deploy.quantize import quantize_with_feeds, quantize_with_nncf

from .timing import format_table, interleaved_times

DEPLOY_BACKENDS = ('torch', 'onnxruntime', 'onnxruntime-int8', 'openvino', 'openvino-int8',
                   'openvino-nncf-int8')


def benchmark_backends(model: torch.nn.Module, shape: Sequence[int],
                       backends: Sequence[str] = DEPLOY_BACKENDS, rounds: int = 3,
                       calib: int = 2, quant_options: Optional[dict] = None,
                       dynamo: bool = False) -> Dict[str, dict]:
    """Time ``model`` on PyTorch (fp32 NCHW) and exported to each runtime, one image.

    The model is exported (BN folded) to a temporary .onnx and, for the int8 variants,
    quantized with scales from ``calib`` random images (speed does not depend on them):
    'onnxruntime-int8' and 'openvino-int8' run the same ONNX Runtime QDQ file,
    'openvino-nncf-int8' NNCF's OpenVINO model. Runtimes use PyTorch's thread count.

    Returns ``{backend: dict(latency_s, images_per_s, ratio, agreement)}``: ``ratio`` is
    the speed relative to 'torch' (which must be among ``backends``), ``agreement`` the
    fraction of pixels whose argmax class matches PyTorch's.
    """
    unknown = set(backends) - set(DEPLOY_BACKENDS)
    if unknown or 'torch' not in backends:
        raise ValueError(f'backends {list(backends)}: expected torch and some of '
                         f'{DEPLOY_BACKENDS}')
    model = model.eval()  # with cfg and dataset_meta, as from init_model
    generator = torch.Generator().manual_seed(0)
    images = [torch.randint(0, 256, (3, *shape), dtype=torch.uint8, generator=generator)
              for _ in range(calib + 1)]
    names = ExportWrapper(model).input_names
    feeds = [to_numpy(split_inputs(model.data_preprocessor(dict(inputs=[img]))['inputs'],
                                   names)) for img in images]
    torch_model = ExportWrapper(model).eval()
    torch_inputs = [torch.from_numpy(feeds[0][name]) for name in names]
    variants = {}
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = osp.join(tmp, 'model.onnx')
        export_onnx(copy.deepcopy(model), fp32, shape=shape, dynamo=dynamo)  # folds BN
        files = {'onnxruntime': fp32, 'openvino': fp32}
        if {'onnxruntime-int8', 'openvino-int8'} & set(backends):
            int8 = osp.join(tmp, 'model_int8.onnx')
            quantize_with_feeds(fp32, int8, feeds[1:], **(quant_options or {}))
            files.update({'onnxruntime-int8': int8, 'openvino-int8': int8})
        if 'openvino-nncf-int8' in backends:
            files['openvino-nncf-int8'] = osp.join(tmp, 'model_nncf.xml')
            quantize_with_nncf(fp32, files['openvino-nncf-int8'], feeds[1:])
        for name in backends:
            if name == 'torch':
                def run(inputs=torch_inputs):
                    with torch.no_grad():
                        return torch_model(*inputs).numpy()
            else:
                runtime = load_backend(files[name], name.split('-')[0])

                def run(runtime=runtime):
                    return runtime(feeds[0])
            variants[name] = run
        outputs = {name: run() for name, run in variants.items()}
        times = interleaved_times(variants, rounds=rounds, warmup=1)
    reference = outputs['torch'].argmax(1)
    return {name: dict(latency_s=t, images_per_s=1 / t, ratio=times['torch'] / t,
                       agreement=float(np.mean(outputs[name].argmax(1) == reference)))
            for name, t in times.items()}


def backends_table(results: Dict[str, dict]) -> str:
    rows = [(name, f"{r['latency_s']:.3f}", f"{r['images_per_s']:.2f}", f"{r['ratio']:.2f}x",
             f"{100 * r['agreement']:.1f}%") for name, r in results.items()]
    return format_table(rows, ('backend', 'latency s', 'images/s', 'vs torch fp32',
                               'argmax = torch'))
