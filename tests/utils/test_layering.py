"""segkit.utils and segkit.registry are the low layers: they import no package above them;
segkit.checkpoint sits right above them."""
import ast
import subprocess
import sys
from pathlib import Path

import segkit

HIGHER = ('segkit.apis', 'segkit.config', 'segkit.datasets', 'segkit.engine',
          'segkit.evaluation', 'segkit.models')
ROOT = Path(segkit.__file__).parent


def segkit_imports(paths):
    """``(file name, imported segkit module)`` of every import in ``paths``, nested ones too."""
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ''] if isinstance(node, ast.ImportFrom) else [])
            yield from ((path.name, n) for n in names if n.startswith('segkit'))


def test_low_layers_import_nothing_above_them():
    paths = [ROOT / 'registry.py', *sorted((ROOT / 'utils').glob('*.py'))]
    upward = [f'{name}: {n}' for name, n in segkit_imports(paths)
              if n.startswith(HIGHER + ('segkit.checkpoint',))]
    assert upward == []


def test_checkpoint_imports_only_utils_and_registry():
    paths = sorted((ROOT / 'checkpoint').glob('*.py'))
    upward = [f'{name}: {n}' for name, n in segkit_imports(paths)
              if not n.startswith(('segkit.utils', 'segkit.registry'))]
    assert upward == []


def test_register_all_modules_imports_every_registered_package():
    code = ('import sys\nfrom segkit.registry import register_all_modules\n'
            'register_all_modules()\n'
            f'print(*sorted(m for m in {HIGHER!r} if m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ['segkit.datasets', 'segkit.engine', 'segkit.evaluation',
                                  'segkit.models']
