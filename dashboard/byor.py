"""Bring your own review: import a user's file (:func:`peerstats.importer.import_studies`), keep it on the server so a
reload or a shared link finds it again, and the bundled example (the Metapsy peer-support data set).

The store is one in-memory dict per server process (``st.cache_resource``), keyed by the import's fingerprint
(16 hex digits of SHA-256 over the file's bytes and the column mapping). Nothing goes to ``data/``; a session finds
an upload only through its fingerprint, i.e. when the user has it in their URL (their own tab after a reload, or a
link they chose to share). The store keeps the :data:`STORE_SIZE` most recent uploads.

Several processes (``deploy/run.sh``): nginx keeps each browser on one process, so a shared link opened in another
browser may land on a process that never saw the upload. The processes therefore share a store of upload *sources*
(the file's bytes and, as JSON, its name, mapping and sheet; no pickle): :func:`keep` puts the source there, and
:func:`held` on a miss re-imports it from there and accepts it only if the import gives the same fingerprint. Two
stores, one tiny interface (``put(fingerprint, bytes, meta)`` / ``get(fingerprint) -> (bytes, meta) or None``, see
:func:`upload_store`):

* :class:`FolderStore`, one machine: ``PEERSTATS_UPLOAD_DIR`` names a private directory (the deployment makes one in
  its prefix and deletes it when it stops); it keeps the :data:`STORE_SIZE` newest uploads.
* :class:`RedisStore`, several machines: ``PEERSTATS_UPLOAD_STORE=redis://[:password@]host:port[/db]`` (or
  ``rediss://`` for TLS) names a Redis server every host reads (``deploy/run.sh --store redis`` starts Debian's
  ``redis-server``); each upload is one key that expires after :data:`STORE_TTL` seconds.

Without either variable (``run.sh app``: one process) nothing leaves the process. A store that fails (full disk,
Redis down) never breaks an upload: the upload still works in the process that received it.

The URL side lives in :mod:`dashboard.state` (``data=<fingerprint>``), the only module that touches the URL.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path

import streamlit as st

from dashboard import loader
from dashboard import state as S

STORE_SIZE = 64
UPLOAD_DIR_ENV = "PEERSTATS_UPLOAD_DIR"
_FINGERPRINT = re.compile(r"[0-9a-f]{16}")
EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "examples" / "metapsy_peer_support.csv"
#: The example's mapping: Metapsy's own effect sizes (.g, .g_se: already signed so that > 0 favours peer support,
#: and computed for the change-score and binary rows too), arm sizes for N; the arm means are shown, not re-used.
EXAMPLE_MAPPING = {"study": "study", "outcome": "outcome_category", "instrument": "instrument", "timepoint": "time",
                   "year": "year", "yi": ".g", "sei": ".g_se", "n1i": "n_arm1", "n2i": "n_arm2"}
EXAMPLE_CITATION = (
    "Smit D, Miguel C, Vrijsen JN, Groeneweg B, Spijker J, Cuijpers P (2022). The effectiveness of peer support for "
    "individuals with mental illness: systematic review and meta-analysis. Psychological Medicine (PubMed 36066104). "
    "Data: Metapsy project, data-peer-support-interventions, doi:10.5281/zenodo.7687898, commit 6c0f322.")


@st.cache_resource(show_spinner=False)
def _store() -> tuple[OrderedDict, threading.Lock]:
    return OrderedDict(), threading.Lock()


def keep(result, source: tuple | None = None) -> None:
    """Hold an import (an :class:`~peerstats.importer.ImportResult` with evidence) under its fingerprint.

    ``source``: ``(raw bytes, file name, mapping as sorted (role, column) pairs or None, sheet or None[,
    confirm_extreme])``, the
    arguments of :func:`read` that gave ``result``; put in the shared upload store when there is one.
    """
    store, lock = _store()
    with lock:
        store[result.fingerprint] = result
        store.move_to_end(result.fingerprint)
        while len(store) > STORE_SIZE:
            store.popitem(last=False)
    shared = upload_store()
    if shared is not None and source is not None and _FINGERPRINT.fullmatch(result.fingerprint or ""):
        raw, filename, mapping, sheet, *confirm = source  # (..., confirm_extreme) when effects beyond 5 were confirmed
        shared.put(result.fingerprint, bytes(raw), {"filename": str(filename), "sheet": sheet,
                                                   "mapping": [list(p) for p in mapping] if mapping else None,
                                                   "confirm_extreme": bool(confirm and confirm[0])})


def held(fingerprint: str):
    """The import held under ``fingerprint`` by this process, else re-made from the shared upload store (see the
    module docstring), else ``None``."""
    store, lock = _store()
    with lock:
        found = store.get(fingerprint)
    return found if found is not None else _read_source(str(fingerprint or ""))


# --------------------------------------------------------------------------------------------------------------------
# The shared upload store: a tiny interface, a folder for one machine, Redis for several
# --------------------------------------------------------------------------------------------------------------------
STORE_ENV = "PEERSTATS_UPLOAD_STORE"
STORE_TTL = 7 * 24 * 3600  # seconds a Redis-held upload lives (a workshop's week); the folder keeps STORE_SIZE
_REDIS_KEY = "peerstats:upload:"


def upload_dir() -> Path | None:
    """The directory the processes of a deployment share uploads through (``PEERSTATS_UPLOAD_DIR``), or ``None``."""
    value = os.environ.get(UPLOAD_DIR_ENV, "").strip()
    return Path(value) if value and Path(value).is_dir() else None


def upload_store():
    """The store the processes share uploads through: a :class:`RedisStore` when ``PEERSTATS_UPLOAD_STORE`` is a
    ``redis://`` or ``rediss://`` URL, else a :class:`FolderStore` when ``PEERSTATS_UPLOAD_DIR`` is a directory, else
    ``None`` (one process: uploads stay in its memory). An unusable URL is logged and treated as no store."""
    url = os.environ.get(STORE_ENV, "").strip()
    if url:
        try:
            return RedisStore(url)
        except ValueError as exc:
            import logging

            logging.getLogger("peerstats.app").warning("%s ignored: %s", STORE_ENV, exc)
            return None
    folder = upload_dir()
    return FolderStore(folder) if folder is not None else None


class FolderStore:
    """Upload sources as files in a private directory all processes of one machine read: ``<fp>.bin`` (the bytes)
    and ``<fp>.json`` (the meta), each written atomically; the :data:`STORE_SIZE` newest are kept."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def put(self, fingerprint: str, data: bytes, meta: dict) -> None:
        if not _FINGERPRINT.fullmatch(fingerprint):  # only 16 hex digits ever become a file name
            return
        try:
            for suffix, blob in ((".bin", data), (".json", json.dumps(meta).encode())):
                tmp = self.folder / f".{fingerprint}{suffix}.{os.getpid()}.tmp"
                tmp.write_bytes(blob)
                os.replace(tmp, self.folder / f"{fingerprint}{suffix}")  # another process never reads half a file
            kept = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in kept[STORE_SIZE:]:
                for path in (old, old.with_suffix(".bin")):
                    path.unlink(missing_ok=True)
        except OSError:  # a full or read-only disk: the upload still works in this process
            pass

    def get(self, fingerprint: str) -> tuple[bytes, dict] | None:
        if not _FINGERPRINT.fullmatch(fingerprint):
            return None
        try:
            return ((self.folder / f"{fingerprint}.bin").read_bytes(),
                    json.loads((self.folder / f"{fingerprint}.json").read_text()))
        except (OSError, ValueError):
            return None


class RedisStore:
    """Upload sources in a Redis server every host of a deployment reads: one key ``peerstats:upload:<fp>`` per
    upload holding the meta as one JSON line, a newline, then the file's bytes; it expires after :data:`STORE_TTL`.

    The client is the few lines of Redis's protocol (RESP) it needs (AUTH, SELECT, SET ... EX, GET) over one short
    connection per call: uploads are rare (a put per upload, a get when a link lands on a process without it), so
    this needs no connection pool and no dependency. ``rediss://`` wraps the socket in TLS (system CAs).

    Raises
    ------
    ValueError
        If ``url`` is not ``redis://[[user]:password@]host[:port][/db]`` or ``rediss://...``.
    """

    def __init__(self, url: str, timeout: float = 2.0) -> None:
        from urllib.parse import unquote, urlsplit

        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss") or not parts.hostname:
            raise ValueError(f"expected redis://[:password@]host:port[/db], got scheme {parts.scheme!r}")
        db = parts.path.strip("/") or "0"
        if not db.isdigit():
            raise ValueError(f"the database must be a number, got {db!r}")
        self.host, self.port, self.db = parts.hostname, parts.port or 6379, int(db)
        self.tls, self.timeout = parts.scheme == "rediss", timeout
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None

    def put(self, fingerprint: str, data: bytes, meta: dict) -> None:
        if not _FINGERPRINT.fullmatch(fingerprint):
            return
        try:
            self._call(b"SET", _REDIS_KEY + fingerprint, json.dumps(meta).encode() + b"\n" + data, b"EX", STORE_TTL)
        except OSError:  # Redis down or refusing: the upload still works in this process
            pass

    def get(self, fingerprint: str) -> tuple[bytes, dict] | None:
        if not _FINGERPRINT.fullmatch(fingerprint):
            return None
        try:
            value = self._call(b"GET", _REDIS_KEY + fingerprint)
            if not isinstance(value, bytes):
                return None
            head, _, data = value.partition(b"\n")
            return data, json.loads(head)
        except (OSError, ValueError):
            return None

    def _call(self, *command):
        """Send one command (after AUTH and SELECT when the URL asks) and return its reply."""
        import socket

        commands = []
        if self.password is not None:
            commands.append((b"AUTH", self.user, self.password) if self.user else (b"AUTH", self.password))
        if self.db:
            commands.append((b"SELECT", self.db))
        commands.append(command)
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        try:
            if self.tls:
                import ssl

                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
            sock.sendall(b"".join(_resp_command(c) for c in commands))
            replies = sock.makefile("rb")
            for _ in commands:
                reply = _resp_reply(replies)
            return reply
        finally:
            sock.close()


class RedisError(OSError):
    """An error reply from Redis (e.g. a wrong password): handled like a connection failure."""


def _resp_command(args) -> bytes:
    """A command as a RESP array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def _resp_reply(f):
    """One RESP2 reply from a buffered reader: str, int, bytes, None or a list; an error reply raises RedisError."""
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("Redis closed the connection")
    kind, body = line[:1], line[1:-2]
    if kind == b"+":
        return body.decode()
    if kind == b"-":
        raise RedisError(body.decode(errors="replace"))
    if kind == b":":
        return int(body)
    if kind == b"$":
        n = int(body)
        return None if n < 0 else f.read(n + 2)[:-2]
    if kind == b"*":
        n = int(body)
        return None if n < 0 else [_resp_reply(f) for _ in range(n)]
    raise ConnectionError(f"unexpected reply from Redis: {line[:40]!r}")


def _read_source(fp: str):
    """The import re-made from the shared store, if its source is there and gives the same fingerprint."""
    store = upload_store()
    if store is None or not _FINGERPRINT.fullmatch(fp):
        return None
    found = store.get(fp)
    if found is None:
        return None
    raw, meta = found
    try:
        mapping = tuple(tuple(p) for p in meta["mapping"]) if meta.get("mapping") else None
        result = read(raw, str(meta["filename"]), mapping, meta.get("sheet"), bool(meta.get("confirm_extreme")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if result.fingerprint != fp or result.evidence is None:
        return None
    keep(result)
    return result


@st.cache_data(show_spinner=False, max_entries=8)  # the words are dashboard.byor_ui.reading's (size, time)
def read(raw: bytes, filename: str, mapping: tuple | None, sheet: str | None, confirm_extreme: bool = False):
    """:func:`import_studies`, cached on the bytes, the mapping (as sorted items), the sheet and whether effects
    beyond ±5 are confirmed. A file in the bundled data set's own format takes its other file from the bundled data
    in use (:func:`dashboard.loader.bundled_evidence`)."""
    from peerstats.importer import import_studies

    return import_studies(raw, filename, dict(mapping) if mapping is not None else None, sheet=sheet,
                          confirm_extreme=confirm_extreme, base=loader.bundled_evidence())


@st.cache_data(show_spinner="Checking your files row by row…", max_entries=8)
def read_bundled(trials: bytes | None, effects: bytes | None):
    """:func:`peerstats.importer.import_bundled` (a trials file, an effects file or both in the bundled data set's
    own format; the missing one from the bundled data in use), cached on the bytes."""
    from peerstats.importer import import_bundled

    return import_bundled(trials, effects, base=loader.bundled_evidence())


def is_bundled(result) -> bool:
    """Whether an import read the bundled data set's own format (``detected["format"] == "bundled"``): the
    codebook's columns, so the app treats it as the bundled data (presets, the paper's outcomes and moderators)."""
    return bool(result is not None and (result.detected or {}).get("format") == "bundled")


def use(result, source: tuple | None = None) -> None:
    """Make an import the data of this session and of its URL (``source``: as for :func:`keep`)."""
    keep(result, source)
    loader.store_upload(result.evidence)
    st.session_state[RESULT_KEY] = result
    S.set_data_fingerprint(None if is_bundled(result) else result.fingerprint)


def forget() -> None:
    loader.forget_upload()
    st.session_state.pop(RESULT_KEY, None)
    S.set_data_fingerprint(None)


RESULT_KEY = "byor_result"   # session_state: the ImportResult in use (moderators, outcome names, problems)


def current_import():
    """The :class:`ImportResult` behind the data in use when they are an upload (every upload comes through
    :func:`use`: a study table, a RevMan file, the example or a file in the bundled format), else ``None``."""
    if not loader.using_upload():
        return None
    result = st.session_state.get(RESULT_KEY)
    return result if result is not None and result.evidence is st.session_state.get(loader.UPLOAD_KEY) else None


def current_result():
    """The :class:`ImportResult` behind the data in use when it is a file in its own format (a study table, a RevMan
    file, the example): its own columns, outcomes and link (``data=``). ``None`` for the bundled data and for an
    upload in the bundled data set's format (:func:`is_bundled`), which the app shows as it shows the bundled data:
    the codebook's filters, moderators, presets and outcomes (and, held by this session only, no ``data=`` link)."""
    result = current_import()
    return None if result is None or is_bundled(result) else result


def intervention(ctx) -> str | None:
    """What the data in use compare with control, for :func:`dashboard.text.for_data` and
    :meth:`dashboard.text.Scale.named`: ``None`` for the bundled data and an upload in their format (the codebook's peer-support
    columns: their words stay), else the import's own wording (:attr:`ImportResult.intervention`) or "the
    intervention"."""
    from dashboard.text import UPLOAD_INTERVENTION

    if getattr(ctx, "source", "bundled") != "upload":
        return None
    result = current_result()
    return None if result is None else (result.intervention or UPLOAD_INTERVENTION)


def restore() -> str | None:
    """On a session's first run, bring back the upload its URL names. Returns the fingerprint the server does not
    hold (the caller says so in words), else ``None``."""
    fp = S.data_fingerprint()
    if not fp or loader.has_upload() and st.session_state.get(RESULT_KEY) is not None \
            and st.session_state[RESULT_KEY].fingerprint == fp:
        return None
    result = held(fp)
    if result is None or result.evidence is None:
        return fp
    loader.store_upload(result.evidence)
    st.session_state[RESULT_KEY] = result
    return None


def link_vocabulary(result) -> tuple[list[str], dict[str, list[str]]]:
    """What a link to an import may name beyond the codebook: its categorical columns as moderators, and those
    columns with their values as filters (``col.<column>=<value>,...``; the sidebar's ``f_col_<column>``). Empty for
    ``None`` (the bundled data)."""
    if result is None or result.evidence is None:
        return [], {}
    trials = result.evidence.trials
    cols = [c for c, kind in result.moderators.items() if kind == "categorical" and c in trials]
    return cols, {c: sorted({str(v) for v in trials[c] if str(v).strip()}) for c in cols}


def example_bytes() -> bytes:
    return EXAMPLE.read_bytes()


def moderator_choices(ctx) -> dict[str, str]:
    """Moderators the Subgroups page offers for the data in use: column -> words. The codebook's moderators whose
    column the data have, then an import's categorical columns (their file names); only columns with at least two
    recorded levels in the data (:func:`peerstats.select.moderator_levels`), so the first, the default, splits."""
    from peerstats.select import MODERATORS, moderator_levels

    eff = ctx.selection.effects if ctx.selection.k else ctx.evidence.effects
    trials, rows = ctx.evidence.trials, ctx.evidence.effects
    out = {m: w for m, w in MODERATORS.items() if m in trials and moderator_levels(trials[m]) >= 2}
    result = current_result()
    if result is not None:
        for col, kind in result.moderators.items():
            if kind == "categorical" and col not in out and col in eff and col in rows \
                    and moderator_levels(rows[col]) >= 2:
                out[col] = result.moderator_names.get(col, col)
    return out
