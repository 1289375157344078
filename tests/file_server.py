"""A real HTTP server on 127.0.0.1 for download tests: serves files, counts requests."""
import http.server
import os.path as osp
import threading
import time
from collections import Counter
from typing import Dict

import pytest


class FileServer:
    """Serves ``files[path] = bytes`` at ``http://127.0.0.1:PORT/path``.

    ``html`` paths answer a 200 HTML page, ``truncated`` paths announce the full length
    and close after half of it, ``stalled`` paths wait a second before answering, any other
    unknown path answers 404. ``requests`` counts the GET requests per path.
    """

    def __init__(self):
        self.files: Dict[str, bytes] = {}
        self.html, self.truncated, self.stalled = set(), set(), set()
        self.requests = Counter()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split('?')[0]
                server.requests[path] += 1
                if path in server.stalled:
                    time.sleep(1)
                if path in server.html:
                    body = b'<!DOCTYPE html><html><body>Please sign in</body></html>'
                    self._answer(200, body, 'text/html')
                elif path in server.files:
                    body = server.files[path]
                    if path in server.truncated:
                        self.send_response(200)
                        self.send_header('Content-Length', str(len(body)))
                        self.end_headers()
                        self.wfile.write(body[:len(body) // 2])
                        self.close_connection = True
                    else:
                        self._answer(200, body, 'application/octet-stream')
                else:
                    self._answer(404, b'not found', 'text/plain')

            def _answer(self, status, body, content_type):
                self.send_response(status)
                self.send_header('Content-Type', content_type)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f'http://127.0.0.1:{self.httpd.server_port}{path}'

    def serve_file(self, path: str, filename: str) -> str:
        """Serve the local file ``filename`` at ``path``; returns its URL."""
        with open(filename, 'rb') as f:
            self.files[path] = f.read()
        return self.url(path)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def file_server():
    server = FileServer()
    yield server
    server.close()


@pytest.fixture
def hub_cache(tmp_path, monkeypatch) -> str:
    """An empty torch hub cache for the test: ``$TORCH_HOME/hub/checkpoints``."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    return osp.join(str(tmp_path / 'torch_home'), 'hub', 'checkpoints')
