"""The shared upload store (dashboard/byor.py, issue 22): several app processes, possibly on several machines, find an
upload through a store they all read. Redis: a real ``redis-server`` started here on a free port (skipped, with the
reason, when Debian's redis-server is not installed); the app processes are real separate Python processes."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from live_app import free_port

from dashboard import byor
from peerstats.importer import import_studies

ROOT = Path(__file__).resolve().parents[1]
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
PASSWORD = "s3cret pass"  # a space: the URL quotes it, AUTH must get it whole

#: One "app process": keep an upload (as the Data page's "Use these data" does) or look a fingerprint up.
CHILD = r"""
import json, sys
from pathlib import Path
from dashboard import byor
action, arg = sys.argv[1], sys.argv[2]
if action == "keep":
    source = (Path(arg).read_bytes(), "mine.csv", None, None)
    result = byor.read(*source)
    byor.keep(result, source)
    print(json.dumps({"fingerprint": result.fingerprint}))
else:
    result = byor.held(arg)
    print(json.dumps(None if result is None else {
        "fingerprint": result.fingerprint, "trial": [str(s) for s in result.evidence.effects["trial_id"]],
        "yi": [float(v) for v in result.evidence.effects["yi"]]}))
"""


def studies_csv() -> bytes:
    """A plain semicolon-separated arm-data file of five made-up studies (not real trials)."""
    rows = ["Study;n1;mean1;sd1;n2;mean2;sd2"]
    for i, (n1, m1, s1, n2, m2, s2) in enumerate([(40, 21.5, 5.1, 38, 19.2, 5.4), (25, 20.1, 6.0, 27, 19.8, 5.7),
                                                  (60, 22.3, 4.8, 61, 20.0, 5.0), (33, 18.9, 6.3, 30, 18.1, 6.1),
                                                  (75, 21.0, 5.5, 72, 19.5, 5.2)]):
        rows.append(f"Trial {chr(65 + i)} {2001 + i};{n1};{m1};{s1};{n2};{m2};{s2}")
    return ("\n".join(rows) + "\n").encode()


def app_process(env: dict, action: str, arg: str) -> object:
    out = subprocess.run([sys.executable, "-c", CHILD, action, arg], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    if not os.access(REDIS, os.X_OK):
        pytest.skip(f"{REDIS} is not installed (apt-get install redis-server): the Redis upload store is untested")
    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    conf = folder / "redis.conf"
    conf.write_text(f'port {port}\nbind 127.0.0.1\nsave ""\nappendonly no\ndir {folder}\n'
                    f'requirepass "{PASSWORD}"\n')
    proc = subprocess.Popen([REDIS, str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://:{PASSWORD.replace(' ', '%20')}@127.0.0.1:{port}/2"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if byor.RedisStore(url)._call(b"PING") == "PONG":
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_an_upload_kept_by_one_process_is_reimported_by_another_through_redis(redis_url, tmp_path):
    raw = studies_csv()
    path = tmp_path / "mine.csv"
    path.write_bytes(raw)
    env = {**os.environ, byor.STORE_ENV: redis_url}
    env.pop(byor.UPLOAD_DIR_ENV, None)
    mine = import_studies(raw, "mine.csv")  # what the file gives, imported here independently

    fp = app_process(env, "keep", str(path))["fingerprint"]
    assert fp == mine.fingerprint
    other = app_process(env, "held", fp)  # another process: nothing in its memory, only the store
    assert other is not None and other["fingerprint"] == fp
    assert other["trial"] == [str(s) for s in mine.evidence.effects["trial_id"]] and len(other["trial"]) == 5
    assert other["yi"] == pytest.approx([float(v) for v in mine.evidence.effects["yi"]], abs=1e-12)

    cli = shutil.which("redis-cli")
    if cli:  # the key as Redis itself sees it: in database 2, with an expiry
        port = redis_url.rsplit(":", 1)[1].split("/")[0]
        ttl = subprocess.run([cli, "-p", port, "-n", "2", "--no-auth-warning", "-a", PASSWORD, "TTL",
                              f"peerstats:upload:{fp}"], capture_output=True, text=True, timeout=20).stdout
        assert 0 < int(ttl) <= byor.STORE_TTL

    # Changed in the store: the bytes no longer give the link's fingerprint, so the link is refused.
    data, meta = byor.RedisStore(redis_url).get(fp)
    assert data == raw and meta["filename"] == "mine.csv"
    byor.RedisStore(redis_url).put(fp, raw.replace(b"21.5", b"25.5"), meta)
    assert app_process(env, "held", fp) is None
    assert app_process(env, "held", "0123456789abcdef") is None  # a fingerprint nobody uploaded


def test_the_redis_store_fails_quietly(redis_url):
    """A wrong password or a Redis that is down: the upload still works in its own process, lookups miss."""
    wrong = byor.RedisStore(redis_url.replace("s3cret", "wrong"))
    wrong.put("0123456789abcdef", b"x", {})
    assert wrong.get("0123456789abcdef") is None
    with pytest.raises(byor.RedisError, match="WRONGPASS|invalid"):
        wrong._call(b"PING")
    down = byor.RedisStore(f"redis://127.0.0.1:{free_port()}", timeout=0.5)
    down.put("0123456789abcdef", b"x", {})
    assert down.get("0123456789abcdef") is None
    good = byor.RedisStore(redis_url)
    for bad in ("../" * 8 + "etc/passwd", "", "0123456789ABCDEF", "peerstats:upload:*"):
        good.put(bad, b"x", {})
        assert good.get(bad) is None
    assert good._call(b"KEYS", b"*x*") == []


def test_the_store_is_chosen_by_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(byor.STORE_ENV, raising=False)
    monkeypatch.delenv(byor.UPLOAD_DIR_ENV, raising=False)
    assert byor.upload_store() is None  # one process: nothing leaves it
    monkeypatch.setenv(byor.UPLOAD_DIR_ENV, str(tmp_path))
    folder = byor.upload_store()
    assert isinstance(folder, byor.FolderStore)
    folder.put("0123456789abcdef", b"bytes", {"filename": "a.csv"})
    assert folder.get("0123456789abcdef") == (b"bytes", {"filename": "a.csv"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0123456789abcdef.bin", "0123456789abcdef.json"]
    monkeypatch.setenv(byor.STORE_ENV, "rediss://:pw@cache.internal:6380/3")
    store = byor.upload_store()  # the URL wins over the folder
    assert (store.host, store.port, store.db, store.tls, store.password) == ("cache.internal", 6380, 3, True, "pw")
    monkeypatch.setenv(byor.STORE_ENV, "memcached://cache.internal")
    assert byor.upload_store() is None


def test_resp_encoding_matches_the_protocol():
    """Redis's protocol spec: a command is an array of bulk strings; replies by their first byte."""
    assert byor._resp_command((b"SET", "k", b"a\r\nb", 5)) == b"*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n$1\r\n5\r\n"
    replies = io.BytesIO(b"+OK\r\n:42\r\n$-1\r\n$4\r\na\r\nb\r\n*2\r\n$1\r\nx\r\n:1\r\n-ERR nope\r\n")
    assert [byor._resp_reply(replies) for _ in range(5)] == ["OK", 42, None, b"a\r\nb", [b"x", 1]]
    with pytest.raises(byor.RedisError, match="ERR nope"):
        byor._resp_reply(replies)
    with pytest.raises(ConnectionError):
        byor._resp_reply(replies)  # the stream ended


def test_deploy_run_sh_starts_a_private_redis_store_and_stops_it(tmp_path):
    """``deploy/run.sh --store redis`` (here without nginx: --no-proxy) starts redis-server with a password from a
    mode-600 config, writes the store's URL (mode 600) and stops Redis with the deployment."""
    if not os.access(REDIS, os.X_OK):
        pytest.skip(f"{REDIS} is not installed (apt-get install redis-server)")
    prefix, log = tmp_path / "deploy", tmp_path / "run.log"
    store_port, base = free_port(), free_port()
    with open(log, "w") as out:
        proc = subprocess.Popen(["bash", str(ROOT / "deploy" / "run.sh"), "--workers", "1", "--no-warm", "--no-proxy",
                                 "--store", "redis", "--store-port", str(store_port), "--base-port", str(base),
                                 "--prefix", str(prefix)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env={k: v for k, v in os.environ.items() if k != byor.STORE_ENV},
                                start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while "peerstats: serving" not in log.read_text():
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
                time.sleep(0.2)
            url = (prefix / "store.url").read_text().strip()
            assert url.startswith("redis://:") and url.endswith(f"@127.0.0.1:{store_port}/0")
            assert (prefix / "store.url").stat().st_mode & 0o777 == 0o600
            assert (prefix / "redis" / "redis.conf").stat().st_mode & 0o777 == 0o600
            assert byor.RedisStore(url)._call(b"PING") == "PONG"
            with pytest.raises(byor.RedisError):  # no password, no access
                byor.RedisStore(f"redis://127.0.0.1:{store_port}")._call(b"GET", b"x")
            assert not (prefix / "uploads").exists()  # the folder store is not used
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    with pytest.raises(OSError):  # Redis went with the deployment
        byor.RedisStore(url, timeout=1)._call(b"PING")
