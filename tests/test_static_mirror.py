"""deploy/static.py: the mirror of Streamlit's front end that nginx serves from disk (issue 22).

Checked on a small tree written here (a script, a stylesheet, a WOFF2 font in a subfolder): every file copied byte for
byte and readable by all, a ``.gz`` beside each text file that unzips to it, none beside an already-compressed font;
a second run refreshes the mirror in place. That nginx serves it (gzip, headers) is ``test_browser_deploy.py``'s.
"""

from __future__ import annotations

import gzip
import stat

from deploy import static


def _tree(root):
    (root / "js").mkdir(parents=True)
    (root / "media").mkdir()
    files = {"js/index.abc123.js": b"export const x = 1;\n" * 500, "css/index.css": b"body { margin: 0 }\n",
             "media/font.woff2": bytes(range(256)) * 8}
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return files


def test_mirror_copies_every_file_and_gzips_the_text_ones(tmp_path):
    files = _tree(tmp_path / "src")
    dest = tmp_path / "dest"
    assert static.mirror(dest, tmp_path / "src") == (3, 2)
    for name, data in files.items():
        out = dest / name
        assert out.read_bytes() == data and not out.is_symlink()
        assert stat.S_IMODE(out.stat().st_mode) == 0o644  # nginx's workers may run as another user
        gz = out.with_name(out.name + ".gz")
        if name.endswith(".woff2"):
            assert not gz.exists()  # compressed already
        else:
            assert gzip.decompress(gz.read_bytes()) == data
            assert len(gz.read_bytes()) < len(data) or len(data) < 100
    assert stat.S_IMODE((dest / "js").stat().st_mode) & 0o055 == 0o055  # folders: others may list and enter


def test_a_second_run_refreshes_the_mirror(tmp_path):
    _tree(tmp_path / "src")
    dest = tmp_path / "dest"
    static.mirror(dest, tmp_path / "src")
    (tmp_path / "src" / "js" / "index.abc123.js").write_bytes(b"changed")
    static.mirror(dest, tmp_path / "src")
    assert (dest / "js" / "index.abc123.js").read_bytes() == b"changed"
    assert gzip.decompress((dest / "js" / "index.abc123.js.gz").read_bytes()) == b"changed"


def test_the_command_says_what_it_did_and_refuses_a_wrong_call(tmp_path, capsys):
    assert static.main([]) == 2
    assert "usage" in capsys.readouterr().err
    assert static.main([str(tmp_path / "m")]) == 0
    out = capsys.readouterr().out
    assert "mirrored" in out and (tmp_path / "m" / "js").is_dir()
