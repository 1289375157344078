"""What inference needs beside a deployed model: ``model.onnx`` -> ``model.onnx.json``."""
import hashlib
import json
import os.path as osp
from typing import Optional

from mmengine.config import Config

from segkit.checkpoint import INFERENCE_NEUTRAL_KEYS, walk
from segkit.utils.errors import DeployError

REQUIRED_KEYS = ('config', 'fingerprint', 'input_names', 'input_shape', 'num_classes',
                 'align_corners')


def metadata_path(model_file: str) -> str:
    return model_file + '.json'


def model_fingerprint(cfg: Config) -> str:
    """A hash of the config's model settings that shape the graph and its inputs (all but
    :data:`~segkit.checkpoint.keys.INFERENCE_NEUTRAL_KEYS`)."""
    model = walk(cfg.model.to_dict(), lambda value, path: value, INFERENCE_NEUTRAL_KEYS)
    text = json.dumps(model, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def write_metadata(model_file: str, meta: dict) -> str:
    path = metadata_path(model_file)
    with open(path, 'w') as f:
        json.dump(meta, f, indent=1)
    return path


def read_metadata(model_file: str, cfg: Optional[Config] = None,
                  config_name: Optional[str] = None) -> dict:
    """The metadata of ``model_file``; with ``cfg``, check that it was exported from it."""
    if not osp.isfile(model_file):
        raise DeployError(f'{model_file}: no such file')
    path = metadata_path(model_file)
    if not osp.isfile(path):
        raise DeployError(f'{path} is missing: tools/deploy/export.py writes it beside '
                          f'{osp.basename(model_file)} (mean/std, classes, input names); '
                          'export the model again')
    try:
        with open(path) as f:
            meta = json.load(f)
    except ValueError as e:
        raise DeployError(f'{path}: not valid JSON ({e}); export the model again with '
                          'tools/deploy/export.py') from None
    missing = set(REQUIRED_KEYS) - set(meta if isinstance(meta, dict) else ())
    if missing:
        raise DeployError(f'{path}: not segkit deployment metadata (no {sorted(missing)}); '
                          'export the model again with tools/deploy/export.py')
    if cfg is not None and meta['fingerprint'] != model_fingerprint(cfg):
        name = config_name or cfg.filename
        raise DeployError(f"{model_file} was exported from {meta.get('config')}, whose model "
                          f'differs from the one of {name}; test it with that config or export '
                          f'{name} with tools/deploy/export.py')
    return meta
