"""Loading: TSV files into the server by background threads (LOAD DATA LOCAL INFILE, INSERTs as fallback)."""

from __future__ import annotations

import queue
import threading
from itertools import islice
from dataclasses import dataclass
from pathlib import Path

from amrit_assets.demo.generator.base import NULL, GenerationError
from amrit_assets.demo.generator.live_schema import Column
from amrit_assets.resources.mysql import ServerAddress, connect


@dataclass
class _Job:
    db: str
    table: str
    columns: list[Column]
    path: Path
    rows: int
    keep: bool = False  # a copy source: the generator reads it back, the staging folder's removal deletes it


class Loader:
    """Loads TSV files in background threads (one connection each) while the main thread generates."""

    def __init__(self, addr: ServerAddress, threads: int = 2) -> None:
        self.addr = addr
        self.q: queue.Queue[_Job | None] = queue.Queue(maxsize=4)
        self.errors: list[BaseException] = []
        self.warnings: dict[str, int] = {}
        self.samples: dict[str, list[str]] = {}
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def submit(self, job: _Job) -> None:
        if self.errors:
            raise GenerationError(f"loading failed: {self.errors[0]}") from self.errors[0]
        self.q.put(job)

    def close(self) -> None:
        for _ in self.threads:
            self.q.put(None)
        for t in self.threads:
            t.join()
        if self.errors:
            raise GenerationError(f"loading failed: {self.errors[0]}") from self.errors[0]

    def _run(self) -> None:
        conn = None
        local = True
        try:
            conn = connect(self.addr, local_infile=True)
            with conn.cursor() as cur:
                cur.execute("SET SESSION FOREIGN_KEY_CHECKS = 0")
                cur.execute("SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'")
        except BaseException as e:  # noqa: BLE001 - reported by close()
            self.errors.append(e)
        while True:
            job = self.q.get()
            if job is None:
                break
            if self.errors or conn is None:
                continue
            try:
                if local:
                    try:
                        self._load_data(conn, job)
                    except Exception as e:  # noqa: BLE001
                        if getattr(e, "args", (None,))[0] in (1148, 3948, 2068, 4166):
                            local = False  # the server refuses local files: fall back to INSERTs
                            self._insert(conn, job)
                        else:
                            raise
                else:
                    self._insert(conn, job)
            except BaseException as e:  # noqa: BLE001
                self.errors.append(GenerationError(f"{job.db}.{job.table}: {e}"))
            finally:
                if not job.keep:
                    job.path.unlink(missing_ok=True)
        if conn is not None:
            conn.close()

    def _load_data(self, conn, job: _Job) -> None:
        targets, sets = [], []
        for i, c in enumerate(job.columns):
            if c.data_type == "bit":
                targets.append(f"@v{i}")
                sets.append(f"`{c.name}` = CAST(@v{i} AS UNSIGNED)")
            else:
                targets.append(f"`{c.name}`")
        sql = (
            f"LOAD DATA LOCAL INFILE '{job.path}' INTO TABLE `{job.db}`.`{job.table}` CHARACTER SET utf8mb4"
            f" FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({', '.join(targets)})"
            + (f" SET {', '.join(sets)}" if sets else "")
        )
        with conn.cursor() as cur:
            cur.execute(sql)
            self._count_warnings(cur, job)

    def _insert(self, conn, job: _Job) -> None:
        bits = [c.data_type == "bit" for c in job.columns]
        names = ", ".join(f"`{c.name}`" for c in job.columns)
        sql = f"INSERT INTO `{job.db}`.`{job.table}` ({names}) VALUES ({', '.join(['%s'] * len(job.columns))})"
        with job.path.open(encoding="utf-8") as f, conn.cursor() as cur:
            batch: list[list[object]] = []
            for line in f:
                fields = line.rstrip("\n").split("\t")
                batch.append([None if v == NULL else (int(v) if b else v) for v, b in zip(fields, bits)])
                if len(batch) >= 2000:
                    cur.executemany(sql, batch)
                    batch = []
            if batch:
                cur.executemany(sql, batch)

    def _count_warnings(self, cur, job: _Job) -> None:
        cur.execute("SELECT @@warning_count")
        count = int(cur.fetchone()[0])
        if count:
            name = f"{job.db}.{job.table}"
            self.warnings[name] = self.warnings.get(name, 0) + count
            cur.execute("SHOW WARNINGS LIMIT 5")
            self.samples[name] = [str(r[2]) for r in cur.fetchall()]


def _write_tsv(path: Path, columns: list[Column], values: dict[str, list[str]]) -> None:
    cols = [values[c.name] for c in columns]
    lines = map("\t".join, zip(*cols))
    with path.open("w", encoding="utf-8", newline="\n") as f:
        while chunk := list(islice(lines, 10_000)):  # a big table's text is never in memory whole
            f.write("\n".join(chunk))
            f.write("\n")
