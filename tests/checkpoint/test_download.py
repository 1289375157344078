"""Checkpoints named by URL: downloaded once from a real server on 127.0.0.1, then cached;
every failure is one line naming the URL and where to put the file, and leaves no file."""
import hashlib
import json
import os
import os.path as osp
import socket

import pytest
import torch

from segkit.checkpoint import safe_load
from segkit.checkpoint.download import cache_path, checkpoint_url, resolve_checkpoint
from segkit.utils.errors import CheckpointError
from tests.file_server import file_server, hub_cache  # noqa: F401 (fixtures)

WEIGHTS = {'conv.weight': torch.arange(6.).reshape(2, 3)}


@pytest.fixture(scope='module')
def checkpoint_bytes(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp('ckpt') / 'w.pth'
    torch.save({'state_dict': WEIGHTS}, path)
    return path.read_bytes()


def sha_prefix(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:8]


def cache_files(hub_cache: str) -> list:
    return sorted(os.listdir(hub_cache)) if osp.isdir(hub_cache) else []


def test_first_use_downloads_second_use_makes_no_request(file_server, hub_cache,
                                                         checkpoint_bytes):
    path = f'/models/w-{sha_prefix(checkpoint_bytes)}.pth'  # with the hash prefix checked
    file_server.files[path] = checkpoint_bytes
    url = file_server.url(path)
    local = resolve_checkpoint(url, progress=False)
    assert local == osp.join(hub_cache, osp.basename(path)) == cache_path(url)
    assert torch.equal(safe_load(url)['state_dict']['conv.weight'], WEIGHTS['conv.weight'])
    assert resolve_checkpoint(url) == local
    assert file_server.requests[path] == 1
    assert cache_files(hub_cache) == [osp.basename(path)]


def test_a_local_path_is_returned_as_it_is(tmp_path, file_server):
    assert resolve_checkpoint(str(tmp_path / 'w.pth')) == str(tmp_path / 'w.pth')
    assert resolve_checkpoint('data/pretrained/x.pth') == 'data/pretrained/x.pth'
    assert resolve_checkpoint('~/w.pth') == osp.expanduser('~/w.pth')
    assert not file_server.requests


def failure(url: str, hub_cache: str, why: str) -> str:
    where = osp.join(hub_cache, osp.basename(url))
    return f'cannot download {url}: {why}; download it by hand and put it at {where}'


def assert_fails_cleanly(url: str, hub_cache: str, why: str) -> None:
    with pytest.raises(CheckpointError) as info:
        resolve_checkpoint(url, progress=False)
    assert str(info.value) == failure(url, hub_cache, why)
    assert cache_files(hub_cache) == []


def test_http_status(file_server, hub_cache):
    assert_fails_cleanly(file_server.url('/missing-0123abcd.pth'), hub_cache,
                         'the server answered HTTP 404 Not Found')


def test_html_page_instead_of_a_file(file_server, hub_cache):
    file_server.html.add('/login.pth')
    assert_fails_cleanly(file_server.url('/login.pth'), hub_cache,
                         'the server sent an HTML page, not a checkpoint (a login, error or '
                         'redirect page?)')


def test_hash_mismatch(file_server, hub_cache, checkpoint_bytes):
    file_server.files['/w-deadbeef.pth'] = checkpoint_bytes
    got = hashlib.sha256(checkpoint_bytes).hexdigest()[:8]
    assert_fails_cleanly(file_server.url('/w-deadbeef.pth'), hub_cache,
                         f'hash mismatch: the file name promises SHA-256 deadbeef..., the '
                         f'received file has {got}... (a changed or damaged file)')


def test_truncated_transfer(file_server, hub_cache, checkpoint_bytes):
    file_server.files['/w.pth'] = checkpoint_bytes
    file_server.truncated.add('/w.pth')
    assert_fails_cleanly(file_server.url('/w.pth'), hub_cache,
                         'the transfer was truncated (a zip archive cut short after '
                         f'{len(checkpoint_bytes) // 2} bytes)')


def test_stalled_server(file_server, hub_cache, checkpoint_bytes, monkeypatch):
    monkeypatch.setattr('segkit.checkpoint.download.STALL_TIMEOUT_S', 0.2)
    file_server.files['/w.pth'] = checkpoint_bytes
    file_server.stalled.add('/w.pth')
    assert_fails_cleanly(file_server.url('/w.pth'), hub_cache,
                         'the server sent nothing for 0.2 s (timed out)')
    assert socket.getdefaulttimeout() is None


@pytest.mark.parametrize('truncate', [False, True], ids=['whole', 'truncated'])
def test_legacy_format_file(truncate, file_server, hub_cache, tmp_path):
    torch.save({'state_dict': WEIGHTS}, tmp_path / 'old.pth', _use_new_zipfile_serialization=False)
    data = (tmp_path / 'old.pth').read_bytes()
    file_server.files['/old.pth'] = data
    if not truncate:
        assert 'state_dict' in safe_load(file_server.url('/old.pth'))
        return
    file_server.truncated.add('/old.pth')
    assert_fails_cleanly(file_server.url('/old.pth'), hub_cache,
                         'the transfer was truncated (a legacy PyTorch file cut short at '
                         f'{len(data) // 2} bytes)')


def test_connection_refused(hub_cache):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    assert_fails_cleanly(f'http://127.0.0.1:{port}/w.pth', hub_cache,
                         'the connection was refused (no server at that address and port)')


def test_no_network_or_dns(hub_cache, monkeypatch):
    def no_dns(host, *args, **kwargs):  # what the resolver raises offline; nothing leaves
        raise socket.gaierror(socket.EAI_NONAME, 'Name or service not known')
    monkeypatch.setattr(socket, 'getaddrinfo', no_dns)
    assert_fails_cleanly('https://download.openmmlab.com/pretrain/third_party/'
                         'resnet50_v1c-2cccc1ad.pth', hub_cache,
                         'no network, or the host name does not resolve (Name or service not '
                         'known)')


def test_offline_with_the_file_put_where_the_message_says(file_server, hub_cache,
                                                          checkpoint_bytes):
    url = file_server.url('/w.pth')
    with pytest.raises(CheckpointError, match=f'put it at {hub_cache}/w.pth$'):
        resolve_checkpoint(url)
    os.makedirs(hub_cache, exist_ok=True)
    with open(osp.join(hub_cache, 'w.pth'), 'wb') as f:
        f.write(checkpoint_bytes)
    assert 'state_dict' in safe_load(url)
    assert file_server.requests['/w.pth'] == 1  # the failed try only


def test_model_zoo_names_resolve_through_the_real_tables():
    assert checkpoint_url('open-mmlab://resnet101_v1c') == \
        'https://download.openmmlab.com/pretrain/third_party/resnet101_v1c-e67eebb6.pth'
    assert checkpoint_url('torchvision://resnet152') == \
        'https://download.pytorch.org/models/resnet152-394f9c45.pth'
    assert checkpoint_url('torchvision://resnet50.imagenet1k_v2') == \
        'https://download.pytorch.org/models/resnet50-11ad3fa6.pth'
    with pytest.raises(CheckpointError, match=r"^open-mmlab://resnet50_v1: unknown model name "
                                              r"'resnet50_v1' \(\d+ known, in the model-zoo "
                                              r"table of open-mmlab://\); did you mean "
                                              r'resnet50_v1c'):
        checkpoint_url('open-mmlab://resnet50_v1')


@pytest.mark.parametrize('name', ['open-mmlab://resnet50_v1c', 'torchvision://resnet18'])
def test_model_zoo_names_download_from_the_table(name, file_server, hub_cache, tmp_path,
                                                 monkeypatch, checkpoint_bytes):
    path = f'/zoo/{name.split("://")[1]}-{sha_prefix(checkpoint_bytes)}.pth'
    file_server.files[path] = checkpoint_bytes
    table = tmp_path / 'urls.json'
    table.write_text(json.dumps({name: file_server.url(path)}))
    monkeypatch.setenv('SEGKIT_CHECKPOINT_URLS', str(table))
    assert resolve_checkpoint(name) == osp.join(hub_cache, osp.basename(path))
    assert resolve_checkpoint(name) == osp.join(hub_cache, osp.basename(path))
    assert file_server.requests[path] == 1


def test_a_bad_url_table_is_named(tmp_path, monkeypatch):
    table = tmp_path / 'urls.json'
    table.write_text('["not a mapping"]')
    monkeypatch.setenv('SEGKIT_CHECKPOINT_URLS', str(table))
    with pytest.raises(CheckpointError, match=f'^SEGKIT_CHECKPOINT_URLS={table}: expected a '
                                              'JSON object of'):
        resolve_checkpoint('open-mmlab://resnet50_v1c')
