"""Import a script under tools/ as a module, to call its ``main(argv)`` in-process."""
import importlib.util
import os.path as osp

from tests.helpers import REPO


def load_tool(relative_path: str):
    path = osp.join(REPO, 'tools', relative_path)
    name = 'tool_' + relative_path.replace('/', '_')[:-len('.py')]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
