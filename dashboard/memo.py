"""Process-wide memo of the work a rerun repeats: selections, pooled results, tables, analyses, the multiverse and
chart specs. **The cache policy of the app: every derived result goes through here.**

Why: every widget change reruns the whole page script, and with many sessions on one 2-core server the same few
views are recomputed again and again. Profiling an Explore rerun (``benchmarks/bench_app.py``) found ~60 % of its
time in rebuilding the forest plot (Altair objects, ``to_dict`` and the Arrow conversion of its ~13 datasets) and
~30 % in ``select`` + ``outcome_table`` (pandas merges). Those are pure functions of the evidence and the view, so their
results are kept here, shared by all sessions of the process, and a rerun of a view anyone has seen costs a lookup.

The policy
----------
* **What**: every result a page derives from the evidence and the view (statistics, tables, chart specs): a page
  calls :func:`select`, :func:`pool`, :func:`outcome_table`, :func:`outcome_labels`, :func:`call` (any other pure
  analysis: leave-one-out, influence, power, the designer, ...), :func:`multiverse` or :func:`chart`, never the
  function itself and never a ``st.session_state`` cache of its own (a per-session copy is recomputed by every
  session and held once per session). The computations must be pure (seeded when random: ``power_next_trial``).
* **Keyed on** the content, never on object identity: the evidence as :func:`token` (a content hash, computed once
  per ``Evidence`` object, bundled data and uploads alike: two sessions with the same upload share entries, and a
  reloaded data file never hits a stale one); the view's parts as themselves (``Filters``, outcome, method, test
  are hashable values); any other argument (frames, results, dicts of choices) as :func:`digest`, a hash of its
  pickle (a faithful serialisation: different inputs never share a key; equal inputs that pickle differently only
  miss). Keys of :func:`call` and :func:`chart` also hold the function's module and name.
* **Bounds and eviction**: one bounded LRU per kind of result (:class:`LRU`: an ``OrderedDict`` behind a lock; a hit
  moves the entry to the end, an insert beyond ``maxsize`` drops the least recently used). Sizes, chosen so the
  whole memo stays within ~200 MB of a process: :data:`SELECTIONS` 512 (a view's rows, a few kB to ~1 MB for a
  5,000-study upload), :data:`POOLED` 1024 (small results), :data:`TABLES` 256, :data:`LABELS` 16, :data:`RESULTS`
  512 (page analyses), :data:`CHARTS` 256 (a spec with its Arrow datasets, ~10-200 kB), :data:`MULTIVERSE` 48 (one
  outcome's multiverse, ~0.6 MB for the bundled data's 3,280 specifications). Nothing expires by time: an entry is
  valid for ever because its key is its inputs' content. :func:`clear` empties everything (tests).
* **Concurrency**: threads missing *different* keys compute in parallel (the lock is never held while computing).
  Missing the *same* key: :data:`MULTIVERSE` is single-flight (the second session waits for the first's result
  instead of computing it again: a room opening the Multiverse page at once computes it once); the other caches
  let both compute (their work is milliseconds) and keep the second.
* **Not here, and why**: the bundled evidence itself (:mod:`dashboard.loader`, ``st.cache_resource``: one object per
  data-file version, the root of every key), an upload's import (:func:`dashboard.byor.read`, ``st.cache_data`` on
  the file's bytes, and the upload store keyed by the import's fingerprint: inputs, not derived results), and small
  pure helpers with ``functools.lru_cache`` (download bytes, QR codes, fonts).
* **Warm-up**: ``deploy/warm.py`` opens the views a workshop hits in each process before it serves, so their
  entries are here before the first visitor.

Contract: what comes out of here is shared between sessions and must be treated as read-only (no page writes into a
``Selection``'s frames: callers copy first, e.g. :func:`dashboard.components.chart_frame`). The ``yi``/``vi`` arrays
are made read-only so a slip raises instead of leaking into another session.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any


class LRU:
    """A bounded, thread-safe least-recently-used map: ``get_or_compute(key, fn)``.

    The lock is never held while computing, so one slow view never blocks the others. Two threads missing the same
    key both compute it (the results are equal, and the second simply replaces the first), unless ``single_flight``:
    then the second waits for the first's result (and computes it itself only if the first failed).

    Attributes
    ----------
    hits, misses : int
        Lookups answered from the map, and computations started (a single-flight waiter served by another
        thread's computation counts as a hit).
    """

    def __init__(self, maxsize: int, single_flight: bool = False) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be >= 1; got {maxsize}")
        self.maxsize = maxsize
        self.single_flight = single_flight
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._pending: dict = {}  # key -> threading.Event set when its computation ends (single_flight)
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The value held under ``key`` (counted as a hit), else ``default``; never computes."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
        return default

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._data

    def get_or_compute(self, key: Hashable, fn: Callable[[], Any]) -> Any:
        while True:
            with self._lock:
                if key in self._data:
                    self._data.move_to_end(key)
                    self.hits += 1
                    return self._data[key]
                running = self._pending.get(key) if self.single_flight else None
                if running is None:
                    self.misses += 1
                    if self.single_flight:
                        self._pending[key] = done = threading.Event()
                    break
            running.wait()  # another thread computes this key: its result is in the map when it is set
        try:
            value = fn()
            with self._lock:
                self._data[key] = value
                self._data.move_to_end(key)
                while len(self._data) > self.maxsize:
                    self._data.popitem(last=False)
        finally:
            if self.single_flight:
                with self._lock:
                    self._pending.pop(key, None)
                done.set()
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)


SELECTIONS = LRU(512)
POOLED = LRU(1024)
TABLES = LRU(256)
LABELS = LRU(16)
CHARTS = LRU(256)
RESULTS = LRU(512)
MULTIVERSE = LRU(48, single_flight=True)
_TOKENS: dict[int, tuple[weakref.ref, str]] = {}
_TOKENS_LOCK = threading.Lock()


def clear() -> None:
    """Forget everything (tests; a data reload does not need it: the evidence token changes)."""
    for cache in (SELECTIONS, POOLED, TABLES, LABELS, CHARTS, RESULTS, MULTIVERSE):
        cache.clear()
    with _TOKENS_LOCK:
        _TOKENS.clear()


class _Pickler(pickle.Pickler):
    """Pickles an ``Evidence`` as its :func:`token` (computed once per object) instead of its frames."""

    def persistent_id(self, obj: Any) -> str | None:
        from peerstats.data import Evidence

        return f"evidence:{token(obj)}" if type(obj) is Evidence else None


def digest(*values: Any) -> str:
    """A content hash of any picklable values (BLAKE2b of their pickle, protocol 5; evidence by :func:`token`)."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=5).dump(values)
    return hashlib.blake2b(buffer.getvalue(), digest_size=16).hexdigest()


def token(evidence) -> str:
    """A content hash of an ``Evidence`` (its frames and source: :func:`_frame_bytes`), computed once per object and
    remembered while the object lives."""
    key = id(evidence)
    with _TOKENS_LOCK:
        hit = _TOKENS.get(key)
        if hit is not None and hit[0]() is evidence:
            return hit[1]
    h = hashlib.blake2b(digest_size=16)
    h.update(str(evidence.source).encode())
    for frame in (evidence.trials, evidence.effects, evidence.published):
        h.update(_frame_bytes(frame))
    value = h.hexdigest()
    with _TOKENS_LOCK:
        for k in [k for k, (ref, _) in _TOKENS.items() if ref() is None]:  # drop dead objects' entries
            del _TOKENS[k]
        _TOKENS[key] = (weakref.ref(evidence), value)
    return value


def _frame_bytes(frame) -> bytes:
    """A frame's content as bytes for a hash: column names, dtypes and ``pandas.util.hash_pandas_object`` of the
    rows (with the index). Not its pickle: a frame's pickle changes with pandas' internal state (measured: the same
    freshly loaded evidence pickled differently once other views had been computed in the process), which made the
    "same" evidence a different token."""
    import pandas as pd

    head = repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode()
    try:
        rows = pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
    except TypeError:  # an unhashable cell (a list): fall back on the text of the frame
        rows = frame.to_csv().encode()
    return head + rows


def _cached(cache: LRU, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` through ``cache``, keyed by the function and :func:`digest` of the arguments (an
    evidence enters as its token)."""
    key = (fn.__module__, fn.__qualname__, digest(args, sorted(kwargs.items())))
    return cache.get_or_compute(key, lambda: fn(*args, **kwargs))


def _frozen_selection(evidence, filters, outcome: str):
    from peerstats.select import select as _select

    selection = _select(evidence, filters, outcome)
    for array in (selection.yi, selection.vi):
        array.flags.writeable = False
    return selection


def _labels(evidence, *args):
    from peerstats.select import outcome_labels as _outcome_labels

    return _outcome_labels(evidence.effects, *args)


def select(evidence, filters, outcome: str):
    """:func:`peerstats.select.select`, memoised on (evidence, filters, outcome); ``yi``/``vi`` read-only."""
    return _cached(SELECTIONS, _frozen_selection, evidence, filters, outcome)


def pool(evidence, filters, outcome: str, method: str, test: str, compute: Callable[[], Any]):
    """The pooled result of one view (``compute()`` on a miss), memoised on (evidence, filters, outcome, method,
    test). ``compute`` must be a pure function of those (the context's ``safe_pool`` of the memoised selection)."""
    return POOLED.get_or_compute((token(evidence), filters, outcome, method, test), compute)


def outcome_table(evidence, filters, method: str = "DL", test: str = "z", outcomes: dict | None = None):
    """:func:`peerstats.select.outcome_table`, memoised."""
    from peerstats.select import outcome_table as _table

    return _cached(TABLES, _table, evidence, filters, method, test, outcomes=outcomes)


def outcome_labels(evidence, *args):
    """:func:`peerstats.select.outcome_labels` of ``evidence.effects``, memoised."""
    return _cached(LABELS, _labels, evidence, *args)


def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` memoised on the function and a hash of the arguments: for a page's pure analyses
    (leave-one-out, influence, the reproduction table, ...). The result is shared: treat it as read-only."""
    return _cached(RESULTS, fn, *args, **kwargs)


def multiverse_key(evidence, outcome: str, dimensions: dict | None = None) -> tuple:
    """The key of one multiverse in :data:`MULTIVERSE`: (evidence token, outcome, digest of the dimensions)."""
    return (token(evidence), outcome, digest(dimensions))


def multiverse(evidence, outcome: str, dimensions: dict | None = None,
               progress: Callable[[int, int, str], None] | None = None):
    """:func:`peerstats.multiverse.specifications` of ``outcome`` (all estimators and tests), memoised in
    :data:`MULTIVERSE` on (evidence, outcome, dimensions), single-flight.

    On a miss it is computed one estimator at a time and ``progress(done, total, words)`` is called before each
    (``done`` estimators of ``total`` finished; ``words`` says which is being pooled), then with ``done == total``;
    the rows are put back in the order one call gives (combination, then estimator, then test), so the frame is
    exactly ``specifications(evidence, outcome, dimensions=dimensions)``. A hit calls ``progress`` not at all.
    The frame is shared between sessions: read-only.
    """
    return MULTIVERSE.get_or_compute(multiverse_key(evidence, outcome, dimensions),
                                     lambda: _multiverse(evidence, outcome, dimensions, progress))


def _multiverse(evidence, outcome, dimensions, progress):
    import pandas as pd

    from dashboard.text import PAPER_MARK
    from dashboard.view import METHODS as NAMES
    from peerstats.multiverse import METHODS, TESTS, specifications

    parts = []
    for done, method in enumerate(METHODS):
        if progress is not None:
            name = NAMES.get(method, method).replace(PAPER_MARK, "")  # shared by sessions: no "(the paper)" mark
            progress(done, len(METHODS), f"pooling every specification with {name} (estimator {done + 1} of "
                                         f"{len(METHODS)})")
        part = specifications(evidence, outcome, methods=(method,), dimensions=dimensions)
        # the row order of one call over all estimators: combination, then estimator, then test
        combo, test = divmod(pd.RangeIndex(len(part)).to_numpy(), len(TESTS))
        parts.append(part.assign(_order=(combo * len(METHODS) + done) * len(TESTS) + test))
    out = pd.concat(parts, ignore_index=True).sort_values("_order", kind="stable").drop(columns="_order")
    out = out.reset_index(drop=True)
    out.attrs = dict(parts[0].attrs)
    if progress is not None:
        progress(len(METHODS), len(METHODS), f"{len(out):,} specifications pooled")
    return out


# ----------------------------------------------------------------------------------------------------------------
# charts
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Built:
    """A chart built once: the Altair object (for exports and tests) and its Vega-Lite spec with every dataset
    already serialised as Arrow IPC bytes, the form Streamlit sends to the browser.

    Attributes
    ----------
    chart : altair.TopLevelMixin
    spec : dict
        Read-only by contract: :func:`dashboard.components.chart` passes Streamlit a shallow copy (Streamlit moves
        ``datasets`` out of the top level of the dict it is given).
    """

    chart: Any
    spec: dict

    @property
    def params(self):
        return getattr(self.chart, "params", None)


def _arrow_bytes(rows: list) -> bytes:
    """A Vega-Lite inline dataset (a list of records) as Arrow IPC stream bytes: straight from the records (~10x
    faster than through pandas for the forest plot's 12 small datasets); a column pyarrow cannot give one type
    (numbers and text mixed) goes as text, as Streamlit's own conversion does."""
    import pyarrow as pa

    try:
        table = pa.Table.from_pylist(rows) if rows else pa.table({})
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # a column of mixed types: as text (None stays None)
        arrays = {}
        for column in dict.fromkeys(k for row in rows for k in row):
            values = [row.get(column) for row in rows]
            try:
                arrays[column] = pa.array(values)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
                arrays[column] = pa.array([None if v is None else str(v) for v in values], type=pa.string())
        table = pa.table(arrays)
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def spec_of(chart) -> dict:
    """``chart.to_dict(validate=False)`` with its datasets as Arrow IPC bytes (Vega-Lite spec otherwise unchanged).

    Not validated against the Vega-Lite schema here: that is the tests' job (``tests/test_charts*.py`` call
    ``to_dict(validate=True)`` on every builder), and the spec is the same either way; in the app jsonschema's walk
    over every inline data point cost 4.8 of the 6 s of ``to_dict`` on the bundled specification curve (3,280
    points; 1.2 s without), measured here.
    """
    spec = chart.to_dict(validate=False)
    datasets = spec.get("datasets")
    if isinstance(datasets, dict):
        spec["datasets"] = {name: _arrow_bytes(rows) if isinstance(rows, list) else rows
                            for name, rows in datasets.items()}
    return spec


def _built(builder: Callable[..., Any], *args: Any, **kwargs: Any) -> Built:
    ch = builder(*args, **kwargs)
    return Built(chart=ch, spec=spec_of(ch))


def chart(builder: Callable[..., Any], *args: Any, **kwargs: Any) -> Built:
    """``builder(*args, **kwargs)`` and its spec, memoised on the builder and a hash of the arguments."""
    return _cached(CHARTS, _built, builder, *args, **kwargs)
