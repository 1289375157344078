"""Install hints of the deployment packages: read from segkit's deploy extra."""
import sys
import tomllib
from importlib import metadata

import pytest
from packaging.requirements import Requirement

from segkit.deploy.backends import import_package, install_hint
from segkit.utils.errors import DeployError
from tests.helpers import REPO

FALLBACK = "pip install -e '.[deploy]' (in the segkit checkout)"


def test_every_package_segkit_deploy_imports_is_in_the_deploy_extra():
    with open(f'{REPO}/pyproject.toml', 'rb') as file:
        extra = tomllib.load(file)['project']['optional-dependencies']['deploy']
    names = {Requirement(line).name for line in extra}
    assert names == {'onnx', 'onnxscript', 'onnxruntime', 'openvino', 'nncf'}
    assert all(Requirement(line).specifier for line in extra)  # a lower bound each


def test_hint_is_the_requirement_of_the_deploy_extra(monkeypatch):
    requires = ['torch>=2.5', 'onnxruntime>=1.18; extra == "deploy"',
                'openvino>=2024.0; extra == "deploy"', 'pytest>=7; extra == "tests"']
    monkeypatch.setattr(metadata, 'requires', lambda name: requires)
    assert install_hint('onnxruntime') == "pip install 'onnxruntime>=1.18'"
    assert install_hint('OpenVINO') == "pip install 'openvino>=2024.0'"
    assert install_hint('pytest') == FALLBACK  # not part of the deploy extra
    assert install_hint('torch') == FALLBACK


def test_hint_without_installed_metadata_installs_the_extra_from_the_checkout(monkeypatch):
    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, 'requires', not_installed)
    assert install_hint('nncf') == FALLBACK


def test_import_package_names_the_hint(monkeypatch):
    monkeypatch.setattr(metadata, 'requires', lambda name: ['nncf>=2.12; extra == "deploy"'])
    monkeypatch.setitem(sys.modules, 'nncf', None)  # import fails as when not installed
    with pytest.raises(DeployError, match=r"^int8 quantization needs the nncf package, which is "
                                          r"not installed: pip install 'nncf>=2\.12'$"):
        import_package('nncf', 'int8 quantization')
