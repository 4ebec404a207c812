"""Throwaway services for the store tests, on 127.0.0.1: a PostgreSQL cluster (Debian's package)
and an S3-compatible endpoint (moto's server). The test command starts and stops them itself; when
one cannot start, the tests that need it fail (never skip) with the reason."""

from __future__ import annotations

import dataclasses
import functools
import glob
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
_names = itertools.count(1)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _unique(prefix: str) -> str:
    return f"{prefix}{os.getpid()}x{next(_names)}"


# --- PostgreSQL ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostgresService:
    """A running throwaway cluster; `libpq` is the connection string DuckLake's ATTACH takes."""

    host: str
    port: int
    user: str
    dbname: str
    bin_dir: Path
    startup_seconds: float

    @property
    def libpq(self) -> str:
        """'dbname=… host=127.0.0.1 port=… user=lake' for this database."""
        return f"dbname={self.dbname} host={self.host} port={self.port} user={self.user}"

    def new_database(self) -> PostgresService:
        """Create an empty database (createdb) and return this service pointed at it."""
        name = _unique("test_")
        _run(
            [
                self.bin_dir / "createdb",
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                self.user,
                name,
            ],
            what="createdb",
        )
        return dataclasses.replace(self, dbname=name)


def postgres_bin_dir() -> Path:
    """Debian's newest /usr/lib/postgresql/N/bin (initdb is not on PATH there), else PATH's."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    raise RuntimeError(
        "PostgreSQL's initdb/pg_ctl were not found (/usr/lib/postgresql/*/bin or "
        "PATH): install Debian's postgresql package (scripts/setup.sh test does)"
    )


def _run(
    command: list,
    *,
    what: str,
    as_user: str | None = None,
    cwd: Path | None = None,
    timeout: float = START_TIMEOUT_S,
) -> None:
    command = [str(part) for part in command]
    if as_user:  # PostgreSQL refuses to run as root
        command = ["runuser", "-u", as_user, "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _wait_until_ready(bin_dir: Path, port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        ready = subprocess.run(
            [str(bin_dir / "pg_isready"), "-q", "-h", HOST, "-p", str(port)], capture_output=True
        )
        if ready.returncode == 0:
            return
        time.sleep(0.05)
    raise RuntimeError(f"PostgreSQL on port {port} never became ready: {_tail(log)}")


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-2000:] if path.exists() else "(no log)"


def start_postgres(folder: Path) -> tuple[PostgresService, Callable[[], None]]:
    """initdb + pg_ctl start in `folder` (as user postgres when root); return the service and its stop."""
    started = time.monotonic()
    bin_dir = postgres_bin_dir()
    as_user = "postgres" if os.geteuid() == 0 else None
    if as_user:
        owner = pwd.getpwnam(as_user)
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    data, log = folder / "data", folder / "postgres.log"
    _run(
        [
            bin_dir / "initdb",
            "-D",
            data,
            "-A",
            "trust",
            "-U",
            "lake",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ],
        what="initdb",
        as_user=as_user,
        cwd=folder,
    )
    port = free_port()
    # A throwaway cluster: durability off makes catalog commits fast.
    options = (
        f"-p {port} -k {folder} -c listen_addresses={HOST} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off"
    )
    try:
        _run(
            [bin_dir / "pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "start"],
            what="pg_ctl start",
            as_user=as_user,
            cwd=folder,
        )
    except RuntimeError as error:
        raise RuntimeError(f"{error}; server log: {_tail(log)}") from None

    def stop() -> None:
        _run(
            [bin_dir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop"],
            what="pg_ctl stop",
            as_user=as_user,
            cwd=folder,
        )

    try:
        _wait_until_ready(bin_dir, port, log)
    except BaseException:
        stop()
        raise
    service = PostgresService(
        HOST, port, "lake", "postgres", bin_dir, round(time.monotonic() - started, 2)
    )
    # The default database 'postgres' stays empty; tests each take a new one. 'lake' is handy too.
    _run([bin_dir / "createdb", "-h", HOST, "-p", str(port), "-U", "lake", "lake"], what="createdb")
    return dataclasses.replace(service, dbname="lake"), stop


@pytest.fixture(scope="session")
def postgres_service() -> Iterator[PostgresService]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 for the whole test session (database 'lake')."""
    # In /tmp: a short socket path, and user postgres can reach it (pytest's tmp_path is 0700 root).
    folder = Path(tempfile.mkdtemp(prefix="audit-pg-"))
    try:
        service, stop = start_postgres(folder)
    except Exception as error:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"PostgreSQL could not start: {error}", pytrace=False)
    try:
        yield service
    finally:
        stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_database(postgres_service: PostgresService) -> PostgresService:
    """A fresh, empty database of the session's cluster, for one test."""
    return postgres_service.new_database()


# --- S3-compatible endpoint ---------------------------------------------------------------------


@dataclass(frozen=True)
class S3Service:
    """moto's server answering the S3 API; any key id and secret are accepted."""

    endpoint: str  # host:port, DuckDB's ENDPOINT
    region: str
    key_id: str
    secret: str
    startup_seconds: float

    @property
    def endpoint_url(self) -> str:
        """'http://127.0.0.1:port' for boto3."""
        return f"http://{self.endpoint}"

    def client(self):  # -> botocore S3 client
        """A boto3 S3 client for this endpoint (made once: making one takes about a second)."""
        return _s3_client(self.endpoint_url, self.region, self.key_id, self.secret)

    def new_bucket(self) -> str:
        """Create an empty bucket with a fresh name and return the name."""
        name = _unique("lake-").lower()
        self.client().create_bucket(Bucket=name)
        return name

    def secret_sql(self, bucket: str) -> str:
        """CREATE SECRET statement pointing DuckDB's httpfs at this endpoint for s3://bucket.
        Scoped to the bucket and named after it: connections of one process share secrets."""
        name = "s3_" + re.sub(r"\W", "_", bucket)
        return (
            f"CREATE OR REPLACE SECRET {name} (TYPE s3, KEY_ID '{self.key_id}', "
            f"SECRET '{self.secret}', ENDPOINT '{self.endpoint}', URL_STYLE 'path', "
            f"USE_SSL false, REGION '{self.region}', SCOPE 's3://{bucket}')"
        )


@functools.cache
def _s3_client(endpoint_url: str, region: str, key_id: str, secret: str):
    import boto3  # moto's own dependency: only the S3 tests need it

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )


def start_s3(folder: Path) -> tuple[S3Service, Callable[[], None]]:
    """`python -m moto.server` on a free port; return the service once it answers HTTP, and its stop."""
    started = time.monotonic()
    port = free_port()
    log = folder / "moto.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=folder,
        )

    def stop() -> None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"moto's server exited ({server.returncode}): {_tail(log)}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/moto-api/", timeout=2):
                break
        except urllib.error.HTTPError:
            break  # any HTTP answer means it is serving
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                stop()
                raise RuntimeError(
                    f"moto's server never answered on port {port}: {_tail(log)}"
                ) from None
            time.sleep(0.05)
    service = S3Service(
        f"{HOST}:{port}",
        "us-east-1",
        "audit-test-key",
        "audit-test-secret",
        round(time.monotonic() - started, 2),
    )
    return service, stop


@pytest.fixture(scope="session")
def s3_service() -> Iterator[S3Service]:
    """An S3-compatible endpoint on 127.0.0.1 for the whole test session."""
    folder = Path(tempfile.mkdtemp(prefix="audit-s3-"))
    try:
        service, stop = start_s3(folder)
    except Exception as error:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"The S3 endpoint could not start: {error}", pytrace=False)
    try:
        yield service
    finally:
        stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def s3_bucket(s3_service: S3Service) -> str:
    """A fresh, empty bucket on the session's endpoint, for one test."""
    return s3_service.new_bucket()
