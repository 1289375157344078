"""segkit.utils and segkit.registry are the low layers: they import no package above them."""
import ast
import subprocess
import sys
from pathlib import Path

import segkit

HIGHER = ('segkit.apis', 'segkit.config', 'segkit.datasets', 'segkit.engine',
          'segkit.evaluation', 'segkit.models')


def test_low_layers_import_nothing_above_them():
    root = Path(segkit.__file__).parent
    upward = []
    for path in [root / 'registry.py', *sorted((root / 'utils').glob('*.py'))]:
        for node in ast.walk(ast.parse(path.read_text())):  # function-level imports too
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ''] if isinstance(node, ast.ImportFrom) else [])
            upward += [f'{path.name}: {n}' for n in names if n.startswith(HIGHER)]
    assert upward == []


def test_register_all_modules_imports_every_registered_package():
    code = ('import sys\nfrom segkit.registry import register_all_modules\n'
            'register_all_modules()\n'
            f'print(*sorted(m for m in {HIGHER!r} if m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ['segkit.datasets', 'segkit.engine', 'segkit.evaluation',
                                  'segkit.models']
