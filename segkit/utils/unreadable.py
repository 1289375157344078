"""Say why a file could not be read: missing, empty, or not what it should be."""
import os.path as osp


def why_unreadable(path: str, kind: str, error: Exception) -> str:
    """What is wrong with ``path``, which should be a ``kind`` (such as 'JSON file') and
    whose reader raised ``error``: the file is missing, empty, or damaged or of another
    kind (with the reader's first line)."""
    if not osp.isfile(path):
        return 'no such file'
    if osp.getsize(path) == 0:
        return 'the file is empty (0 bytes: an interrupted download, copy or extraction?)'
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    reason = lines[0][:160] if lines else type(error).__name__
    return f'it is not a readable {kind}, or it is damaged ({reason})'
