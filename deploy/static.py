"""Mirror Streamlit's static front-end files for nginx to serve from disk, gzipped once ahead of time.

A new visitor's first view of the dashboard fetches about 150 files under ``/static/`` (Streamlit's JavaScript
bundle, the lazy chunks of the element types a page shows, fonts, CSS): 5.6 MB on the home page (2.0 MB gzipped),
out of 23 MB of JavaScript in all. Served by the app process (Python), they queue behind each other on the browser's
six connections and take the app's CPU; served by nginx from disk, gzipped (``gzip_static``: a ``.gz`` file next to
each original), they cost neither (``benchmarks/bench_browser.py`` prints the first view). ``deploy/run.sh`` calls this at every start, so the mirror
always matches the installed Streamlit:

    python -m deploy.static DEST

copies each file of ``streamlit/static/static`` to DEST/<relative path> (mode 644, folders 755) and, for text files
(JavaScript, CSS, SVG, JSON, fonts other than WOFF2, which is compressed already), DEST/<relative path>.gz, gzip
level 6 (~1 s for the whole tree; 23 MB of text becomes 7 MB). The file names carry content hashes, so nginx may let
browsers keep them for a year.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

#: Suffixes worth compressing (WOFF2, PNG and GIF are compressed formats already).
COMPRESS = frozenset({".js", ".css", ".svg", ".json", ".map", ".txt", ".ttf", ".html"})


def streamlit_static() -> Path:
    """The installed Streamlit's front-end file tree (what it serves under ``/static/``)."""
    import streamlit

    return Path(streamlit.__file__).parent / "static" / "static"


def mirror(dest: Path, src: Path | None = None, level: int = 6) -> tuple[int, int]:
    """Mirror ``src`` (default :func:`streamlit_static`) into ``dest``: a copy of each file and a ``.gz`` of the
    compressible ones, readable by all (nginx's workers run as another user, who may not read the Python tree: a
    symbolic link would not do). Returns (files, of them gzipped). An existing ``dest`` is refreshed in place."""
    src = streamlit_static() if src is None else src
    files = zipped = 0
    for path in sorted(src.rglob("*")):
        if not path.is_file():
            continue
        out = dest / path.relative_to(src)
        out.parent.mkdir(parents=True, exist_ok=True)
        data = path.read_bytes()
        out.write_bytes(data)
        out.chmod(0o644)
        files += 1
        if path.suffix in COMPRESS:
            gz = out.with_name(out.name + ".gz")
            gz.write_bytes(gzip.compress(data, level, mtime=0))
            gz.chmod(0o644)
            zipped += 1
    for d in (dest, *(p for p in dest.rglob("*") if p.is_dir())):  # readable by nginx's workers, whatever the umask
        d.chmod(0o755)
    return files, zipped


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m deploy.static DEST", file=sys.stderr)
        return 2
    files, zipped = mirror(Path(args[0]))
    print(f"deploy/static: {files} files of Streamlit's front end mirrored in {args[0]}, {zipped} gzipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
