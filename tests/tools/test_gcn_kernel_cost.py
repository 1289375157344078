import os.path as osp
import runpy

from tests.helpers import REPO

TOOL = osp.join(REPO, 'tools', 'analysis', 'gcn_kernel_cost.py')


def test_table_matches_the_formulas(capsys):
    main = runpy.run_path(TOOL)['main']
    main(['--in-channels', '8', '--out-channels', '4', '--shape', '6', '5', '--kernel-size', '5'])
    rows = {line[:28].strip(): line[28:].split() for line in capsys.readouterr().out.splitlines()}
    gcn_weights, dense_weights = 2 * (5 * 8 * 4 + 5 * 4 * 4), 5 * 5 * 8 * 4
    assert rows['GlobalConvBlock(k=5)'] == [f'{gcn_weights + 16:,}', f'{30 * gcn_weights:,}']
    assert rows['Conv2d 5x5'] == [f'{dense_weights + 4:,}', f'{30 * dense_weights:,}']
    assert float(rows['ratio GCN / dense'][1]) == round(gcn_weights / dense_weights, 4)
