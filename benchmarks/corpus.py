"""A pool-heavy corpus, generated here: Python modules that all use ``multiprocessing`` pools.

    python benchmarks/corpus.py OUT_DIR [--files 100] [--seed 17] [--stats]

The standard library hardly uses pools, so the pre-filter answers almost all of it from
the text. This corpus is the other end: every file imports a pool package and works with
pools, the way a data-processing code base does. Each module is a few hundred lines
(300-600) of one made-up domain (images, log entries, orders, ...): a docstring, imports
in one of several spellings (``import multiprocessing``, ``from multiprocessing import
Pool``, ``import multiprocessing as mp``, a ``get_context("spawn")`` context,
``ThreadPool``, ``concurrent.futures.ProcessPoolExecutor``), constants, a dataclass,
module-level helpers (loops, comprehensions, literals, f-strings, try/except, with,
decorators, annotations, comments), a class or two with methods, functions that use
pools correctly (map, imap, imap_unordered, starmap, apply_async with ``.get()`` or
callbacks, close/join, with-blocks), and a command-line entry point.

A few functions per file misuse a pool on purpose (a lambda given to a process pool, a
discarded ``apply_async`` result, no main guard, ...), so that most files have a few
findings and some have none; ``--stats`` runs the checker over the result and shows the
rate. All of it is generated from the templates below: nothing is copied from another
project. File ``i`` depends only on the seed and ``i``, so a corpus of 10 files is the
first 10 files of a corpus of 1,000.
"""

from __future__ import annotations

import argparse
import random
import re
import string
import textwrap
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SEED = 17
#: How many lines a module aims at (it stops adding code at the first block past it).
LINES = (310, 580)


@dataclass(frozen=True)
class Domain:
    """What a module is about: the nouns its code is written with."""

    item: str  # one thing: "image"
    items: str  # several: "images"
    record: str  # the dataclass: "ImageRecord"
    key: str  # its identifying field (str)
    number: str  # its measured field (float)
    label: str  # its category field (str)
    labels: tuple[str, ...]  # values of the category field
    limits: tuple[float, float]  # the plausible range of the measured field
    extension: str  # of the export files
    separator: str  # of the export files' fields
    verbs: tuple[str, ...]  # what the module does to each item


DOMAINS = (
    Domain(
        "image",
        "images",
        "ImageRecord",
        "path",
        "size_kb",
        "label",
        ("cat", "dog", "car", "tree", "person", "boat", "bird"),
        (0.0, 65536.0),
        "tsv",
        "\\t",
        ("resize", "hash", "classify", "thumbnail", "deskew"),
    ),
    Domain(
        "entry",
        "entries",
        "LogEntry",
        "request_id",
        "latency_ms",
        "status",
        ("ok", "redirect", "client_error", "server_error", "timeout"),
        (0.0, 120000.0),
        "log",
        " ",
        ("redact", "anonymize", "classify", "sample", "geolocate"),
    ),
    Domain(
        "order",
        "orders",
        "Order",
        "order_id",
        "amount",
        "region",
        ("emea", "apac", "amer", "latam"),
        (0.0, 1e7),
        "csv",
        ",",
        ("price", "convert", "audit", "reconcile", "tax"),
    ),
    Domain(
        "read",
        "reads",
        "SequenceRead",
        "read_id",
        "quality",
        "sample",
        ("s01", "s02", "s03", "control", "blank"),
        (0.0, 60.0),
        "tsv",
        "\\t",
        ("trim", "align", "filter", "count", "demultiplex"),
    ),
    Domain(
        "document",
        "documents",
        "Document",
        "doc_id",
        "word_count",
        "language",
        ("en", "de", "fr", "es", "ja", "pt"),
        (0.0, 5e6),
        "tsv",
        "\\t",
        ("tokenize", "index", "summarize", "detect", "embed"),
    ),
    Domain(
        "reading",
        "readings",
        "SensorReading",
        "sensor_id",
        "value",
        "unit",
        ("celsius", "pascal", "lux", "volt", "percent"),
        (-273.15, 1e6),
        "csv",
        ",",
        ("calibrate", "smooth", "resample", "flag", "interpolate"),
    ),
    Domain(
        "page",
        "pages",
        "Page",
        "url",
        "bytes_read",
        "content_type",
        ("html", "json", "xml", "pdf", "other"),
        (0.0, 5e8),
        "tsv",
        "\\t",
        ("crawl", "extract", "canonicalize", "dedupe", "rank"),
    ),
    Domain(
        "trade",
        "trades",
        "Trade",
        "symbol",
        "price",
        "venue",
        ("xnys", "xnas", "xlon", "xtks", "xpar"),
        (0.0, 1e6),
        "csv",
        ",",
        ("settle", "enrich", "net", "revalue", "match"),
    ),
    Domain(
        "tile",
        "tiles",
        "Tile",
        "tile_id",
        "elevation",
        "biome",
        ("forest", "desert", "tundra", "ocean", "grassland", "urban"),
        (-11000.0, 9000.0),
        "csv",
        ",",
        ("render", "reproject", "mask", "shade", "vectorize"),
    ),
    Domain(
        "event",
        "events",
        "Event",
        "user_id",
        "duration",
        "action",
        ("view", "click", "purchase", "signup", "logout"),
        (0.0, 86400.0),
        "log",
        " ",
        ("sessionize", "attribute", "weigh", "bucket", "enrich"),
    ),
)


@dataclass(frozen=True)
class Flavor:
    """How a module spells its pools."""

    imports: tuple[str, ...]  # import lines it always has
    setup: str  # module-level lines after the constants
    factory: str  # the expression that is called to make a pool
    context: str  # the expression that is called to get a context
    annotation: str  # how a parameter that holds a pool is annotated
    process: bool  # a process pool (not a thread pool)
    weight: int


FLAVORS = (
    Flavor(
        ("import multiprocessing",),
        "",
        "multiprocessing.Pool",
        "multiprocessing.get_context",
        "multiprocessing.pool.Pool",
        True,
        5,
    ),
    Flavor(("from multiprocessing import Pool",), "", "Pool", "get_context", "Pool", True, 4),
    Flavor(
        ("import multiprocessing as mp",), "", "mp.Pool", "mp.get_context", "mp.pool.Pool", True, 4
    ),
    Flavor(
        ("import multiprocessing as mp",),
        "#: Spawn everywhere: the same behaviour on Linux, macOS and Windows.\n"
        '_CTX = mp.get_context("spawn")\n',
        "_CTX.Pool",
        "mp.get_context",
        "mp.pool.Pool",
        True,
        3,
    ),
    Flavor(
        ("from multiprocessing import get_context",),
        "",
        'get_context("forkserver").Pool',
        "get_context",
        "object",
        True,
        1,
    ),
    Flavor(("from multiprocessing.pool import Pool",), "", "Pool", "get_context", "Pool", True, 2),
    Flavor(
        ("from multiprocessing.pool import ThreadPool",),
        "",
        "ThreadPool",
        "get_context",
        "ThreadPool",
        False,
        2,
    ),
)


@dataclass(frozen=True)
class Snippet:
    """One block of a module: its text, and the blocks it uses (added first if missing)."""

    name: str
    text: str
    needs: tuple[str, ...] = ()
    constants: str = ""  # lines it adds to the module's constants
    process_only: bool = False  # misuse that only a process pool makes wrong
    codes: tuple[str, ...] = ()  # the findings a misuse is written to produce


def _snippet(
    name: str,
    text: str,
    needs: str = "",
    constants: str = "",
    process_only: bool = False,
    codes: str = "",
) -> Snippet:
    return Snippet(
        name,
        textwrap.dedent(text).strip("\n") + "\n",
        tuple(needs.split()),
        textwrap.dedent(constants).strip("\n"),
        process_only,
        tuple(codes.split()),
    )


def _dedented(*texts: str) -> tuple[str, ...]:
    return tuple(textwrap.dedent(text) for text in texts)


# The blocks below are string.Template texts. $item, $items, $Record, $key, $num, $label,
# $ext, $sep come from the Domain; $Pool, $context, $PoolType from the Flavor; $verb,
# $workers, $chunk and $n from the module being written.

RECORD = _snippet(
    "record",
    '''
    @dataclass(frozen=True)
    class $Record:
        """One $item as read from an export: its $key, $num and $label."""

        $key: str
        $num: float
        $label: str
        tags: Tuple[str, ...] = ()
        source: str = ""

        @classmethod
        def from_dict(cls, data: Dict[str, Any]) -> "$Record":
            """Build a record from a decoded JSON object (missing fields get defaults)."""
            return cls(
                str(data["$key"]),
                float(data.get("$num", 0.0)),
                str(data.get("$label", "")).strip(),
                tuple(data.get("tags", ())),
                str(data.get("source", "")),
            )

        def to_dict(self) -> Dict[str, Any]:
            return {
                "$key": self.$key,
                "$num": self.$num,
                "$label": self.$label,
                "tags": list(self.tags),
                "source": self.source,
            }

        @property
        def is_tagged(self) -> bool:
            return bool(self.tags)
    ''',
)

HELPERS = (
    _snippet(
        "parse",
        '''
        def parse_$item(line: str, source: str = "") -> Optional[$Record]:
            """Parse one line of the $item export, or None when it is malformed."""
            parts = [part.strip() for part in line.rstrip("\\n").split("$sep")]
            if len(parts) < 3:
                LOG.debug("skipping short line: %r", line[:80])
                return None
            try:
                $num = float(parts[1])
            except ValueError:
                LOG.warning("bad $num %r in %r", parts[1], line[:80])
                return None
            tags = tuple(tag for tag in parts[3:] if tag)
            return $Record(parts[0], $num, parts[2].lower(), tags, source)
        ''',
        needs="record",
    ),
    _snippet(
        "load",
        '''
        def load_$items(path: str) -> List[$Record]:
            """Read every $item of one export file; an unreadable file gives none."""
            records: List[$Record] = []
            try:
                with open(path, encoding="utf-8") as handle:
                    for number, line in enumerate(handle, start=1):
                        if not line.strip() or line.startswith("#"):
                            continue
                        record = parse_$item(line, source=path)
                        if record is None:
                            LOG.debug("%s:%d: unparsable", path, number)
                            continue
                        records.append(record)
            except OSError as error:
                LOG.error("cannot read %s: %s", path, error)
            return records
        ''',
        needs="parse",
    ),
    _snippet(
        "validate",
        '''
        class ValidationError(ValueError):
            """Raised for a $item that breaks one of the limits in ``_LIMITS``."""

            def __init__(self, key: str, reason: str) -> None:
                super().__init__(f"{key}: {reason}")
                self.key = key
                self.reason = reason


        def validate_$item(record: $Record) -> $Record:
            """Return the record unchanged, or raise ValidationError."""
            low, high = _LIMITS["$num"]
            if not low <= record.$num <= high:
                raise ValidationError(record.$key, f"$num {record.$num} outside [{low}, {high}]")
            if record.$label not in _WEIGHTS:
                raise ValidationError(record.$key, f"unknown $label {record.$label!r}")
            return record
        ''',
        needs="record",
    ),
    _snippet(
        "score",
        '''
        def score_$item(record: $Record) -> float:
            """A weighted score for one $item; higher is more interesting."""
            weight = _WEIGHTS.get(record.$label, 1.0)
            penalty = sum(0.25 for tag in record.tags if tag.startswith("_"))
            value = math.log1p(max(record.$num, 0.0)) * weight - penalty
            return round(value, $digits)


        def keyed_score(record: $Record) -> Tuple[str, float]:
            return record.$key, score_$item(record)
        ''',
        needs="record",
    ),
    _snippet(
        "process",
        '''
        def process_$item(path: str) -> Dict[str, Any]:
            """Load, validate and score every $item of one file (this runs in a worker)."""
            started = time.perf_counter()
            records = load_$items(path)
            scored: List[Tuple[str, float]] = []
            errors = 0
            for record in records:
                try:
                    scored.append(keyed_score(validate_$item(record)))
                except ValidationError as error:
                    errors += 1
                    LOG.debug("rejected %s", error)
            return {
                "path": path,
                "count": len(records),
                "errors": errors,
                "best": max(scored, key=lambda pair: pair[1], default=None),
                "seconds": round(time.perf_counter() - started, 4),
            }
        ''',
        needs="load validate score",
        constants="""
        _REPORT_FIELDS = ("path", "count", "errors", "best", "seconds")
        """,
    ),
    _snippet(
        "fingerprint",
        '''
        def fingerprint(record: $Record) -> Tuple[str, str]:
            """A stable digest of a record, to find duplicates across exports."""
            digest = hashlib.sha256()
            digest.update(record.$key.encode("utf-8"))
            digest.update(repr(record.$num).encode("ascii"))
            for tag in sorted(record.tags):  # the order of tags does not matter
                digest.update(tag.encode("utf-8"))
            return record.$key, digest.hexdigest()[:$hexlen]
        ''',
        needs="record",
    ),
    _snippet(
        "summarize",
        '''
        def summarize_batch(batch: List[$Record]) -> Dict[str, Any]:
            """Count, total and spread of one batch, for the progress report."""
            if not batch:
                return {"count": 0, "total": 0.0, "mean": 0.0, "stdev": 0.0, "top": []}
            values = [record.$num for record in batch]
            return {
                "count": len(values),
                "total": sum(values),
                "mean": statistics.fmean(values),
                "stdev": statistics.pstdev(values) if len(values) > 1 else 0.0,
                "top": Counter(record.$label for record in batch).most_common(3),
            }
        ''',
        needs="record",
    ),
    _snippet(
        "merge",
        '''
        def merge_$items(left: $Record, right: $Record) -> $Record:
            """Combine two records of one $key, keeping the larger $num."""
            if left.$key != right.$key:
                raise ValueError(f"cannot merge {left.$key!r} with {right.$key!r}")
            tags = tuple(sorted(set(left.tags) | set(right.tags)))
            winner = left if left.$num >= right.$num else right
            return replace(winner, $num=max(left.$num, right.$num), tags=tags)


        def pair_duplicates(records: Iterable[$Record]) -> List[Tuple[$Record, $Record]]:
            """Each record paired with the previous one of the same $key."""
            last: Dict[str, $Record] = {}
            pairs = []
            for record in records:
                previous = last.get(record.$key)
                if previous is not None:
                    pairs.append((previous, record))
                last[record.$key] = record
            return pairs
        ''',
        needs="record",
    ),
    _snippet(
        "scale",
        '''
        def scale_$item(record: $Record, factor: float = 1.0) -> $Record:
            """The record with its $num multiplied by ``factor`` (clipped to the limits)."""
            low, high = _LIMITS["$num"]
            return replace(record, $num=min(max(record.$num * factor, low), high))
        ''',
        needs="record",
    ),
    _snippet("typevar", 'T = TypeVar("T")'),
    _snippet(
        "chunked",
        '''
        def chunked(items: Iterable[T], size: int) -> Iterator[List[T]]:
            """Lists of at most ``size`` items, in order (the last one may be shorter)."""
            if size < 1:
                raise ValueError(f"size must be at least 1, not {size}")
            batch: List[T] = []
            for item in items:
                batch.append(item)
                if len(batch) >= size:
                    yield batch
                    batch = []
            if batch:
                yield batch
        ''',
        needs="typevar",
    ),
    _snippet(
        "retry",
        '''
        def retry(
            times: int = 3, delay: float = 0.5
        ) -> Callable[[Callable[..., T]], Callable[..., T]]:
            """Retry a flaky call a few times, waiting a little longer each time."""

            def decorate(function: Callable[..., T]) -> Callable[..., T]:
                @functools.wraps(function)
                def wrapper(*args: Any, **kwargs: Any) -> T:
                    for attempt in range(1, times + 1):
                        try:
                            return function(*args, **kwargs)
                        except (OSError, TimeoutError) as error:
                            if attempt == times:
                                raise
                            name = function.__name__
                            LOG.info("attempt %d of %s failed: %s", attempt, name, error)
                            time.sleep(delay * attempt)
                    raise AssertionError("unreachable")

                return wrapper

            return decorate
        ''',
        needs="typevar",
    ),
    _snippet(
        "fetch",
        '''
        @retry(times=$n)
        def fetch_$item(key: str) -> Dict[str, Any]:
            """The stored metadata of one $item (a JSON file per key in the cache)."""
            path = os.path.join(CACHE_DIR, f"{key}.json")
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
            data.setdefault("$key", key)
            return data
        ''',
        needs="retry",
        constants="""
        CACHE_DIR = os.environ.get("${ENV}_CACHE", os.path.expanduser("~/.cache/$items"))
        """,
    ),
    _snippet(
        "timed",
        '''
        @contextlib.contextmanager
        def timed(label: str) -> Iterator[None]:
            """Log how long the block took."""
            start = time.perf_counter()
            try:
                yield
            finally:
                LOG.info("%s took %.3f s", label, time.perf_counter() - start)
        ''',
    ),
    _snippet(
        "group",
        '''
        def group_by_$label(records: Iterable[$Record]) -> Dict[str, List[$Record]]:
            """Records by $label, each group sorted by $num, largest first."""
            groups: Dict[str, List[$Record]] = defaultdict(list)
            for record in records:
                groups[record.$label].append(record)
            return {
                name: sorted(group, key=lambda r: r.$num, reverse=True)
                for name, group in sorted(groups.items())
            }
        ''',
        needs="record",
    ),
    _snippet(
        "init_worker",
        '''
        _WORKER_STATE: Dict[str, Any] = {}


        def init_worker(config_path: str, verbose: bool = False) -> None:
            """Pool initializer: load the configuration once in each worker process."""
            logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO)
            try:
                with open(config_path, encoding="utf-8") as handle:
                    _WORKER_STATE.update(json.load(handle))
            except (OSError, json.JSONDecodeError) as error:
                LOG.warning("worker %d runs without %s: %s", os.getpid(), config_path, error)
                _WORKER_STATE.clear()
            _WORKER_STATE["pid"] = os.getpid()
        ''',
        constants="""
        CONFIG_PATH = os.environ.get("${ENV}_CONFIG", "config/$items.json")
        """,
    ),
    _snippet(
        "report",
        '''
        def write_report(rows: Iterable[Dict[str, Any]], destination: str) -> int:
            """Write one CSV row per result; return how many were written."""
            count = 0
            with open(destination, "w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=_REPORT_FIELDS, extrasaction="ignore")
                writer.writeheader()
                for row in rows:
                    writer.writerow(row)
                    count += 1
            LOG.info("wrote %d rows to %s", count, destination)
            return count
        ''',
        needs="process",
    ),
    _snippet(
        "expand",
        '''
        def expand_inputs(inputs: Sequence[str], pattern: str = "*.$ext") -> List[str]:
            """The files named, and the matching files under the directories named."""
            paths: List[str] = []
            for name in inputs:
                if os.path.isdir(name):
                    paths.extend(str(path) for path in sorted(Path(name).rglob(pattern)))
                elif os.path.exists(name):
                    paths.append(name)
                else:
                    LOG.warning("no such file or directory: %s", name)
            seen = set()
            return [path for path in paths if not (path in seen or seen.add(path))]
        ''',
    ),
    _snippet(
        "log_failure",
        '''
        def log_failure(error: BaseException) -> None:
            """Error callback: runs in the parent process when a task raised."""
            LOG.error("task failed: %s: %s", type(error).__name__, error)
        ''',
    ),
)

#: Helpers written once per verb, so that a module can hold several.
TRANSFORMS = _dedented(
    '''
    def ${verb}_$item(record: $Record) -> $Record:
        """${Verb} one $item: normalise its $label and mark it as done."""
        $label = " ".join(record.$label.replace("-", " ").split()).lower()
        tags = record.tags if "$verb" in record.tags else record.tags + ("$verb",)
        return replace(record, $label=$label, tags=tags)
    ''',
    '''
    def ${verb}_$item(record: $Record) -> Dict[str, Any]:
        """${Verb} one $item; the result is a plain dict, cheap to send between processes."""
        row = record.to_dict()
        row["$verb"] = {
            "bucket": int(record.$num // $bucket) * $bucket,
            "weight": _WEIGHTS.get(record.$label, 1.0),
            "long_key": len(record.$key) > $n,
        }
        # NOTE: keep the keys stable, the dashboard reads them by name
        row["${verb}_version"] = $n
        return row
    ''',
    '''
    def ${verb}_$item(record: $Record) -> Tuple[str, List[str]]:
        """${Verb} one $item into the tokens the index stores."""
        tokens = re.findall(r"[a-z0-9]+", record.$key.lower())
        tokens.extend(f"{record.$label}:{tag}" for tag in record.tags)
        if record.$num > _LIMITS["$num"][1] / 2:
            tokens.append("large")
        return record.$key, sorted(set(tokens))
    ''',
    '''
    def ${verb}_$item(record: $Record, threshold: float = $threshold) -> Optional[$Record]:
        """${Verb} one $item: None when it falls under the threshold."""
        if record.$num < threshold:
            return None
        try:
            ratio = record.$num / _LIMITS["$num"][1]
        except ZeroDivisionError:
            ratio = 0.0
        return replace(record, source=f"{record.source}#${verb}={ratio:.3f}")
    ''',
)

#: Functions that use a pool the way it is meant to be used ($verb_$item: a transform).
POOL_FUNCTIONS = (
    _snippet(
        "run_all",
        '''
        def run_$items(
            paths: Sequence[str], workers: int = DEFAULT_WORKERS
        ) -> List[Dict[str, Any]]:
            """Process every file in parallel; the results come back in input order."""
            if not paths:
                return []
            chunksize = max(1, len(paths) // (workers * 4))
            with $Pool(processes=workers) as pool:
                results = pool.map(process_$item, paths, chunksize=chunksize)
            LOG.info("processed %d files with %d workers", len(results), workers)
            return results
        ''',
        needs="process",
    ),
    _snippet(
        "score_all",
        '''
        def score_all(records: List[$Record], workers: int = DEFAULT_WORKERS) -> Dict[str, float]:
            """Scores by $key; the order of completion does not matter here."""
            scores: Dict[str, float] = {}
            with $Pool(workers) as pool:
                results = pool.imap_unordered(keyed_score, records, chunksize=CHUNK_SIZE)
                for done, (key, value) in enumerate(results, start=1):
                    scores[key] = value
                    if done % 10000 == 0:
                        LOG.info("scored %d of %d", done, len(records))
            return scores
        ''',
        needs="score",
    ),
    _snippet(
        "merge_pairs",
        '''
        def merge_duplicates(records: List[$Record], workers: int = 2) -> List[$Record]:
            """Merge each duplicate pair in parallel; the rest pass through unchanged."""
            pairs = pair_duplicates(records)
            if not pairs:
                return records
            with $Pool(processes=workers) as pool:
                merged = pool.starmap(merge_$items, pairs, chunksize=$chunk)
            replaced = {record.$key: record for record in merged}
            return [replaced.get(record.$key, record) for record in records]
        ''',
        needs="merge",
    ),
    _snippet(
        "collect_async",
        '''
        def collect_async(
            paths: Sequence[str], workers: int = DEFAULT_WORKERS
        ) -> Tuple[List[Dict[str, Any]], List[BaseException]]:
            """One task per file; failures are collected, not raised."""
            results: List[Dict[str, Any]] = []
            failures: List[BaseException] = []
            pool = $Pool(processes=workers, initializer=init_worker, initargs=(CONFIG_PATH,))
            try:
                for path in paths:
                    pool.apply_async(
                        process_$item,
                        (path,),
                        callback=results.append,
                        error_callback=failures.append,
                    )
                pool.close()
                pool.join()
            finally:
                pool.terminate()
            if failures:
                LOG.warning("%d of %d files failed", len(failures), len(paths))
            return results, failures
        ''',
        needs="process init_worker",
    ),
    _snippet(
        "fingerprint_all",
        '''
        def fingerprint_all(
            records: Sequence[$Record], timeout: float = $timeout
        ) -> Dict[str, str]:
            """Digests by $key, computed in parallel, waiting at most ``timeout`` for each."""
            with $Pool() as pool:
                pending = [pool.apply_async(fingerprint, (record,)) for record in records]
                digests = dict(result.get(timeout=timeout) for result in pending)
            duplicates = len(records) - len(set(digests.values()))
            if duplicates:
                LOG.info("%d duplicate $items", duplicates)
            return digests
        ''',
        needs="fingerprint",
    ),
    _snippet(
        "summarize_async",
        '''
        def summarize_async(
            batches: List[List[$Record]], workers: int = 2
        ) -> List[Dict[str, Any]]:
            """Summaries of all batches, or TimeoutError after five minutes."""
            summaries: List[Dict[str, Any]] = []
            with $Pool(workers) as pool:
                result = pool.map_async(
                    summarize_batch, batches, callback=summaries.extend, error_callback=log_failure
                )
                result.wait(timeout=300)
                if not result.ready():
                    raise TimeoutError("the summaries did not finish in time")
                result.get()
            return summaries
        ''',
        needs="summarize log_failure",
    ),
    _snippet(
        "stream",
        '''
        def stream_summaries(path: str, batch_size: int = $batch) -> Iterator[Dict[str, Any]]:
            """Summaries of consecutive batches of one large export, as they are ready."""
            with open(path, encoding="utf-8") as handle, $Pool() as pool:
                records = (parse_$item(line, source=path) for line in handle)
                batches = chunked((record for record in records if record is not None), batch_size)
                for summary in pool.imap(summarize_batch, batches, chunksize=4):
                    yield summary
        ''',
        needs="summarize chunked parse",
    ),
    _snippet(
        "threads",
        '''
        def file_sizes(paths: Sequence[str], threads: int = 16) -> Dict[str, int]:
            """Sizes of many files; a thread pool is enough for this I/O-bound work."""
            with ThreadPool(threads) as pool:
                sizes = pool.map(lambda path: os.stat(path).st_size, paths)
            return dict(zip(paths, sizes))
        ''',
    ),
    _snippet(
        "threads_fetch",
        '''
        def fetch_many(keys: Iterable[str], threads: int = 8) -> List[Dict[str, Any]]:
            """Metadata of many $items, fetched concurrently (network-bound)."""
            found: List[Dict[str, Any]] = []
            with ThreadPool(processes=threads) as pool:
                for data in pool.imap_unordered(fetch_$item, keys, chunksize=$chunk):
                    if data.get("deleted"):
                        continue
                    found.append(data)
            return found
        ''',
        needs="fetch",
    ),
    _snippet(
        "executor",
        '''
        def validate_with_executor(
            records: Sequence[$Record], workers: int = DEFAULT_WORKERS
        ) -> Tuple[int, int]:
            """How many records pass validation and how many fail, checked in parallel."""
            passed = failed = 0
            context = $context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as executor:
                futures = {
                    executor.submit(validate_$item, record): record.$key for record in records
                }
                for future in as_completed(futures):
                    try:
                        future.result()
                    except ValidationError as error:
                        failed += 1
                        LOG.debug("%s: %s", futures[future], error)
                    else:
                        passed += 1
            return passed, failed
        ''',
        needs="validate",
    ),
    _snippet(
        "owned_pool",
        '''
        def score_with(pool: $PoolType, records: Sequence[$Record]) -> List[float]:
            """Scores computed on a pool the caller owns (and closes)."""
            if len(records) < $small:
                return [score_$item(record) for record in records]  # not worth the pickling
            return pool.map(score_$item, records, chunksize=CHUNK_SIZE)
        ''',
        needs="score",
    ),
    _snippet(
        "timeout_pool",
        '''
        def run_with_deadline(
            paths: Sequence[str], deadline: float = $timeout
        ) -> List[Dict[str, Any]]:
            """Process the files, terminating the workers if it takes too long."""
            pool = $Pool(processes=DEFAULT_WORKERS, maxtasksperchild=$maxtasks)
            try:
                result = pool.map_async(process_$item, paths, chunksize=8)
                rows = result.get(timeout=deadline)
            except $timeout_error:
                LOG.error("gave up after %.0f s", deadline)
                pool.terminate()
                raise
            else:
                pool.close()
            finally:
                pool.join()
            return rows
        ''',
        needs="process",
    ),
    _snippet(
        "spawn_context",
        '''
        def run_in_fresh_workers(
            paths: Sequence[str], workers: int = DEFAULT_WORKERS
        ) -> List[Dict[str, Any]]:
            """Like run_$items, in workers that share no state with this process."""
            ctx = $context("spawn")
            init = {"initializer": init_worker, "initargs": (CONFIG_PATH,)}
            with ctx.Pool(processes=workers, **init) as pool:
                rows = pool.map(process_$item, paths)
            return sorted(rows, key=lambda row: (-row["errors"], row["path"]))
        ''',
        needs="process init_worker",
    ),
)

#: Pool functions written once per verb (the verb's transform is their task).
VERB_POOL_FUNCTIONS = _dedented(
    '''
    def ${verb}_all(records: List[$Record], workers: int = DEFAULT_WORKERS) -> List[Any]:
        """${Verb} every $item in parallel, in input order."""
        if len(records) < $small:
            return [${verb}_$item(record) for record in records]
        with $Pool(processes=workers) as pool:
            return pool.map(${verb}_$item, records, chunksize=CHUNK_SIZE)
    ''',
    '''
    def ${verb}_stream(
        records: Iterable[$Record], workers: int = DEFAULT_WORKERS
    ) -> Iterator[Any]:
        """${Verb} the $items lazily; results are yielded in input order."""
        with $Pool(workers) as pool:
            yield from pool.imap(${verb}_$item, records, chunksize=$chunk)
    ''',
    '''
    def ${verb}_in_batches(records: List[$Record], batch_size: int = $batch) -> Dict[str, Any]:
        """${Verb} the $items a batch at a time, reporting progress between batches."""
        done: Dict[str, Any] = {}
        pool = $Pool()
        try:
            for number, start in enumerate(range(0, len(records), batch_size)):
                batch = records[start : start + batch_size]
                handle = pool.map_async(${verb}_$item, batch, error_callback=log_failure)
                for record, result in zip(batch, handle.get(timeout=$timeout)):
                    done[record.$key] = result
                LOG.info("batch %d: %d $items", number, len(batch))
        finally:
            pool.close()
            pool.join()
        return done
    ''',
    '''
    def ${verb}_selected(records: List[$Record], keys: Iterable[str]) -> List[Any]:
        """${Verb} the $items whose $key is in ``keys``, each its own task."""
        wanted = set(keys)
        with $Pool() as pool:
            handles = [
                pool.apply_async(${verb}_$item, (record,))
                for record in records
                if record.$key in wanted
            ]
            results = [handle.get(timeout=$timeout) for handle in handles]
        return [result for result in results if result is not None]
    ''',
)

#: Misuse, written on purpose: each produces the findings named.
MISUSE = (
    _snippet(
        "lambda_task",
        '''
        def rescale_all(records: List[$Record], factor: float) -> List[$Record]:
            """Every record with its $num multiplied by ``factor``."""
            with $Pool() as pool:
                return pool.map(lambda record: scale_$item(record, factor), records)
        ''',
        needs="scale",
        process_only=True,
        codes="PCK101",
    ),
    _snippet(
        "discarded",
        '''
        def warm_cache(keys: Iterable[str], workers: int = 4) -> None:
            """Fetch every key once so that later runs find it in the cache."""
            pool = $Pool(workers)
            for key in keys:
                pool.apply_async(fetch_$item, (key,))
            pool.close()
            pool.join()
        ''',
        needs="fetch",
        codes="PCK201",
    ),
    _snippet(
        "nested_task",
        '''
        def ${label}_counts(paths: Sequence[str]) -> Counter[str]:
            """How many $items of each $label the files hold."""

            def count_one(path: str) -> Counter[str]:
                return Counter(record.$label for record in load_$items(path))

            totals: Counter[str] = Counter()
            with $Pool() as pool:
                for counts in pool.imap_unordered(count_one, paths):
                    totals.update(counts)
            return totals
        ''',
        needs="load",
        process_only=True,
        codes="PCK101",
    ),
    _snippet(
        "imap_callback",
        '''
        def progress_scores(records: List[$Record]) -> List[float]:
            """Scores in input order, printing a dot for each one."""
            with $Pool() as pool:
                dot = functools.partial(print, ".", end="", flush=True)
                scores = list(pool.imap(score_$item, records, callback=dot))
            print()
            return scores
        ''',
        needs="score",
        codes="PCK105",
    ),
    _snippet(
        "serial_get",
        '''
        def process_one_by_one(paths: Sequence[str]) -> List[Dict[str, Any]]:
            """Process the files in order, stopping at the first that fails."""
            rows = []
            with $Pool() as pool:
                for path in paths:
                    row = pool.apply_async(process_$item, (path,)).get(timeout=600)
                    if row["errors"]:
                        LOG.error("%s: %d errors, stopping", path, row["errors"])
                        break
                    rows.append(row)
            return rows
        ''',
        needs="process",
        codes="PCK302",
    ),
    _snippet(
        "async_get",
        """
        def summaries_now(batches: List[List[$Record]]) -> List[Dict[str, Any]]:
            with $Pool() as pool:
                return pool.map_async(summarize_batch, batches).get()
        """,
        needs="summarize",
        codes="PCK303",
    ),
    _snippet(
        "temporary_pool",
        """
        def quick_fingerprints(records: List[$Record]) -> Dict[str, str]:
            # TODO: reuse the pipeline's pool instead of starting one here
            return dict($Pool($n).map(fingerprint, records))
        """,
        needs="fingerprint",
        codes="PCK403",
    ),
    _snippet(
        "join_running",
        """
        def validate_all(records: List[$Record]) -> List[$Record]:
            pool = $Pool()
            checked = pool.map(validate_$item, records)
            pool.join()
            return checked
        """,
        needs="validate",
        codes="PCK402 PCK403",
    ),
    _snippet(
        "unordered_zip",
        '''
        def summaries_by_batch(batches: List[List[$Record]]) -> Dict[int, Dict[str, Any]]:
            """Summary of each batch, by its position."""
            with $Pool() as pool:
                summaries = pool.imap_unordered(summarize_batch, batches)
                return dict(zip(range(len(batches)), summaries))
        ''',
        needs="summarize",
        codes="PCK203",
    ),
    _snippet(
        "args_not_tuple",
        '''
        def first_result(paths: Sequence[str]) -> Optional[Dict[str, Any]]:
            """The result of the first file, or None when there is none."""
            if not paths:
                return None
            with $Pool(1) as pool:
                return pool.apply(process_$item, (paths[0]))
        ''',
        needs="process",
        codes="PCK104",
    ),
    _snippet(
        "unawaited_with",
        '''
        def refresh_cache(keys: Sequence[str], results: List[Dict[str, Any]]) -> None:
            """Fetch every key again, appending what comes back to ``results``."""
            with $Pool(processes=$n) as pool:
                for key in keys:
                    pool.apply_async(fetch_$item, (key,), callback=results.append)
        ''',
        needs="fetch",
        codes="PCK201 PCK202",
    ),
    _snippet(
        "map_generator",
        '''
        def parse_export(path: str) -> List[Optional[$Record]]:
            """Every $item of one export, parsed in parallel, in order."""
            with open(path, encoding="utf-8") as handle, $Pool() as pool:
                lines = (line for line in handle if line.strip())
                return pool.map(parse_$item, lines, chunksize=$batch)
        ''',
        needs="parse",
        codes="PCK301",
    ),
)

CLASS = '''
class ${Item}Pipeline:
    """Runs the $item pipeline over many export files with a pool of workers.

    The pool lives as long as the pipeline is open: use it as a context manager.
    """

    def __init__(
        self, paths: Sequence[str], workers: int = DEFAULT_WORKERS, chunksize: int = CHUNK_SIZE
    ) -> None:
        self.paths = list(paths)
        self.workers = workers
        self.chunksize = chunksize
        self.stats: Counter[str] = Counter()
        self._results: List[Dict[str, Any]] = []
        self._pool: Optional[$PoolType] = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.paths)} paths, workers={self.workers})"

    def __enter__(self) -> "${Item}Pipeline":
        self._pool = $Pool(processes=self.workers)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    @property
    def done(self) -> bool:
        return len(self._results) == len(self.paths)

    def run(self) -> List[Dict[str, Any]]:
        """Process every file; results are recorded in the order they finish."""
        if self._pool is None:
            raise RuntimeError("use the pipeline in a with-block")
        results = self._pool.imap_unordered(process_$item, self.paths, chunksize=self.chunksize)
        for result in results:
            self._record(result)
        return self._results

    def _record(self, result: Dict[str, Any]) -> None:
        self.stats["files"] += 1
        self.stats["$items"] += result["count"]
        self.stats["errors"] += result["errors"]
        if result["errors"]:
            LOG.warning("%s: %d errors", result["path"], result["errors"])
        self._results.append(result)

    def summary(self) -> str:
        parts = [f"{name}={count}" for name, count in sorted(self.stats.items())]
        return ", ".join(parts) or "nothing processed"

    @classmethod
    def from_directory(cls, directory: str, pattern: str = "*.$ext") -> "${Item}Pipeline":
        paths = sorted(str(path) for path in Path(directory).glob(pattern))
        LOG.debug("found %d files under %s", len(paths), directory)
        return cls(paths)
'''

INDEX_CLASS = '''
class ${Item}Index:
    """An in-memory index of $items by $key and by $label."""

    def __init__(self) -> None:
        self._by_key: Dict[str, $Record] = {}
        self._by_$label: Dict[str, List[str]] = defaultdict(list)

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def add(self, record: $Record) -> None:
        if record.$key in self._by_key:
            LOG.debug("replacing %s", record.$key)
        else:
            self._by_$label[record.$label].append(record.$key)
        self._by_key[record.$key] = record

    def add_files(self, paths: Sequence[str], workers: int = DEFAULT_WORKERS) -> int:
        """Load the files in parallel and index every record; return how many were added."""
        before = len(self)
        with $Pool(workers) as pool:
            for records in pool.imap(load_$items, paths):
                for record in records:
                    self.add(record)
        return len(self) - before

    def $label(self, name: str) -> List[$Record]:
        return [self._by_key[key] for key in self._by_$label.get(name, [])]

    def largest(self, count: int = 10) -> List[$Record]:
        return heapq.nlargest(count, self._by_key.values(), key=lambda record: record.$num)

    def to_json(self) -> str:
        return json.dumps(
            {key: record.to_dict() for key, record in sorted(self._by_key.items())},
            indent=2,
            sort_keys=True,
        )
'''

MAIN = """
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", help="export files, or directories of them")
    parser.add_argument("-j", "--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--chunksize", type=int, default=CHUNK_SIZE)
    parser.add_argument("-o", "--output", default="$items-report.csv")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(processName)s %(levelname)s %(message)s",
    )
    paths = expand_inputs(args.inputs)
    if not paths:
        LOG.error("no input files")
        return 2
    with timed("$items"):
        rows = run_$items(paths, workers=args.workers)
    written = write_report(rows, args.output)
    failed = sum(1 for row in rows if row["errors"])
    print(f"{written} files, {failed} with errors")
    return 1 if failed else 0
"""

MAIN_GUARD = """
if __name__ == "__main__":
    sys.exit(main())
"""

#: The misuse that leaves the script's pool unguarded: PCK401 on a process pool.
NO_MAIN_GUARD = """
# run as a script: python $module.py exports/
rows = run_$items(expand_inputs(sys.argv[1:]))
write_report(rows, "$items-report.csv")
"""

TITLES = (
    "Parallel {verb} of {item} exports.",
    "Batch {verb} for {items}, spread over worker processes.",
    "The {items} pipeline: load, validate, {verb} and report.",
    "Tools to {verb} large numbers of {items} with multiprocessing.",
    "{Item} processing jobs run by the nightly scheduler.",
)

PARAGRAPHS = (
    "Every function that takes a ``workers`` argument starts its own pool unless\n"
    "it is given one; the tasks are module-level functions so that they pickle.",
    "The exports are {ext} files with one {item} per line. Rows that do not parse\n"
    "are logged and skipped rather than failing the whole file.",
    "Results are plain dicts and tuples: they cross process boundaries cheaply.\n"
    "Run the module as a script to process a directory of exports.",
    "Most of the time goes into ``{verb}``; the pool keeps every core busy with it.",
)

#: What a module's text must import, by what it uses: (pattern, import line).
_IMPORTS_BY_USE: tuple[tuple[str, str], ...] = (
    (r"\bargparse\.", "import argparse"),
    (r"\bcontextlib\.", "import contextlib"),
    (r"\bcsv\.", "import csv"),
    (r"\bfunctools\.", "import functools"),
    (r"\bhashlib\.", "import hashlib"),
    (r"\bheapq\.", "import heapq"),
    (r"\bjson\.", "import json"),
    (r"\blogging\.", "import logging"),
    (r"\bmath\.", "import math"),
    (r"(?<![.\w])os\.", "import os"),
    (r"(?<![.\w])re\.", "import re"),
    (r"\bstatistics\.", "import statistics"),
    (r"(?<![.\w])sys\.", "import sys"),
    (r"(?<![.\w])time\.", "import time"),
    (r"(?<![.\w])Counter\b", "from collections import Counter"),
    (r"(?<![.\w])defaultdict\(", "from collections import defaultdict"),
    (r"(?<![.\w])ProcessPoolExecutor\(", "from concurrent.futures import ProcessPoolExecutor"),
    (r"(?<![.\w])as_completed\(", "from concurrent.futures import as_completed"),
    (r"@dataclass\b", "from dataclasses import dataclass"),
    (r"(?<![.\w])replace\(", "from dataclasses import replace"),
    (r"(?<![.\w])get_context\(", "from multiprocessing import get_context"),
    (r"(?<![.\w])ThreadPool\(", "from multiprocessing.pool import ThreadPool"),
    (r"(?<![.\w])Path\(", "from pathlib import Path"),
    *(
        (rf"(?<![.\w]){name}\b(?=[\[\](),\s:=]|$)", f"from typing import {name}")
        for name in (
            "Any",
            "Callable",
            "Dict",
            "Iterable",
            "Iterator",
            "List",
            "Optional",
            "Sequence",
            "Tuple",
            "TypeVar",
        )
    ),
)


class _Module:
    """One generated module, built block by block."""

    def __init__(self, index: int, seed: int) -> None:
        self.rng = random.Random(f"{seed}:{index}")
        rng = self.rng
        self.domain = rng.choice(DOMAINS)
        self.flavor = rng.choices(FLAVORS, weights=[f.weight for f in FLAVORS])[0]
        verbs = list(self.domain.verbs)
        rng.shuffle(verbs)
        self.verbs = verbs
        self.name = f"{verbs[0]}_{self.domain.items}_{index:04d}"
        self.target = rng.randint(*LINES)
        self.future = rng.random() < 0.75  # ``from __future__ import annotations``
        self.blocks: list[str] = []
        self.constants: list[str] = []
        self.added: set[str] = set()
        self.codes: list[str] = []
        d = self.domain
        self.fields = {
            "item": d.item,
            "items": d.items,
            "Item": d.item.capitalize(),
            "Record": d.record,
            "key": d.key,
            "num": d.number,
            "label": d.label,
            "ext": d.extension,
            "sep": d.separator,
            "ENV": d.items.upper(),
            "module": self.name,
            "Pool": self.flavor.factory,
            "context": self.flavor.context,
            # without postponed annotations, a made-up pool annotation would run at import
            "PoolType": self.flavor.annotation if self.future else "Any",
            "timeout_error": "mp.TimeoutError"
            if self.flavor.factory.startswith(("mp.", "_CTX"))
            else "multiprocessing.TimeoutError",
        }

    def lines(self) -> int:
        return sum(block.count("\n") + 2 for block in self.blocks)

    def fill(self, template: str, **extra: str) -> str:
        rng = self.rng
        values = {
            **self.fields,
            "digits": str(rng.randint(2, 6)),
            "hexlen": str(rng.choice((12, 16, 20, 32))),
            "n": str(rng.randint(2, 8)),
            "chunk": str(rng.choice((4, 8, 16, 32, 64))),
            "batch": str(rng.choice((100, 250, 500, 1000, 5000))),
            "bucket": str(rng.choice((10, 50, 100, 1000))),
            "threshold": f"{rng.uniform(0.5, 50):.1f}",
            "timeout": f"{rng.choice((30, 60, 120, 600, 3600))}.0",
            "small": str(rng.choice((16, 32, 100, 500))),
            "maxtasks": str(rng.choice((50, 100, 500, 1000))),
            **extra,
        }
        return string.Template(template).substitute(values)

    def add(self, snippet: Snippet) -> None:
        if snippet.name in self.added:
            return
        self.added.add(snippet.name)
        for name in snippet.needs:
            self.add(_BY_NAME[name])
        if snippet.constants:
            self.constants.append(self.fill(snippet.constants))
        self.blocks.append(self.fill(snippet.text))
        self.codes.extend(snippet.codes)

    def add_verb(self, verb: str, pool_template: str) -> None:
        self.add(_BY_NAME["record"])
        if "log_failure" in pool_template:
            self.add(_BY_NAME["log_failure"])
        extra = {"verb": verb, "Verb": verb.capitalize()}
        self.blocks.append(self.fill(self.rng.choice(TRANSFORMS), **extra))
        self.blocks.append(self.fill(pool_template, **extra))

    def write(self) -> str:
        rng, flavor = self.rng, self.flavor
        misuse = [m for m in MISUSE if flavor.process or not m.process_only]
        wanted = rng.choices((0, 1, 2, 3, 4), weights=(22, 30, 25, 15, 8))[0]
        guard = not (flavor.process and rng.random() < 0.12)
        if not guard:
            wanted = max(0, wanted - 1)
            self.codes.append("PCK401")
        chosen_misuse = rng.sample(misuse, wanted)

        # The always-there core, then the rest in a shuffled order until the module is long
        # enough; the misuse goes in among them.
        for name in ("record", "process", "expand", "timed", "report", "run_all"):
            self.add(_BY_NAME[name])
        optional: list[Snippet | str] = [*HELPERS, *POOL_FUNCTIONS, CLASS, INDEX_CLASS]
        rng.shuffle(optional)
        for snippet in chosen_misuse:
            optional.insert(rng.randrange(len(optional) + 1), snippet)
        pending = list(chosen_misuse)

        def room() -> bool:
            """Whether another block fits (the header, constants and main take ~80 lines)."""
            misuse_lines = sum(m.text.count("\n") + 2 for m in pending)
            return self.lines() + misuse_lines + 80 < self.target

        verbs = iter(self.verbs)
        for block in optional:
            if isinstance(block, Snippet) and block in pending:
                pending.remove(block)
                self.add(block)
            elif not room():
                continue
            elif isinstance(block, Snippet):
                self.add(block)
            else:  # a class: it uses these
                for name in ("record", "load", "process"):
                    self.add(_BY_NAME[name])
                self.blocks.append(self.fill(block))
            verb = next(verbs, None)
            if verb is not None and rng.random() < 0.5 and room():
                self.add_verb(verb, rng.choice(VERB_POOL_FUNCTIONS))
        for verb in verbs:  # still short: more verbs
            if not room():
                break
            self.add_verb(verb, rng.choice(VERB_POOL_FUNCTIONS))
        self.blocks.append(self.fill(MAIN))
        return self._assemble(self.fill(MAIN_GUARD if guard else NO_MAIN_GUARD))

    def _assemble(self, tail: str) -> str:
        rng, d = self.rng, self.domain
        words = {"verb": self.verbs[0], "item": d.item, "items": d.items, "ext": d.extension}
        title = rng.choice(TITLES).format(**words, Item=d.item.capitalize())
        paragraph = rng.choice(PARAGRAPHS).format(**words)
        header = f'"""{title}\n\n{paragraph}\n"""\n'
        setup = self.fill(self.flavor.setup) if self.flavor.setup else ""
        constants = "\n".join(
            [
                "LOG = logging.getLogger(__name__)",
                "",
                "#: Worker processes to start when the caller does not say.",
                "DEFAULT_WORKERS = max(1, (os.cpu_count() or 2) - 1)",
                "#: Items handed to a worker at a time.",
                f"CHUNK_SIZE = {rng.choice((16, 32, 64, 128, 256))}",
                self._weights(),
                f'_LIMITS: Dict[str, Tuple[float, float]] = {{"{d.number}": {d.limits!r}}}',
                *self.constants,
            ]
        )
        body = "\n\n\n".join(block.strip("\n") for block in self.blocks)
        code = f"{constants}\n{setup}\n\n{body}\n\n\n{tail.strip()}\n"
        imports = self._imports(code)
        future = "from __future__ import annotations\n\n" if self.future else ""
        return re.sub(r"\n{4,}", "\n\n\n", f"{header}\n{future}{imports}\n\n{code}")

    def _weights(self) -> str:
        pairs = ", ".join(
            f'"{label}": {self.rng.choice((0.5, 0.8, 1.0, 1.0, 1.25, 1.5, 2.0))}'
            for label in self.domain.labels
        )
        comment = f"#: How much each {self.domain.label} counts in a score."
        return f"{comment}\n_WEIGHTS: Dict[str, float] = {{{pairs}}}"

    def _imports(self, code: str) -> str:
        wanted = {line for pattern, line in _IMPORTS_BY_USE if re.search(pattern, code)}
        wanted.update(self.flavor.imports)
        if re.search(r"(?<![.\w])multiprocessing\.", code):
            wanted.add("import multiprocessing")
        if "mp." in code:
            wanted.add("import multiprocessing as mp")
        plain = sorted(line for line in wanted if line.startswith("import "))
        names: dict[str, set[str]] = {}
        for line in wanted - set(plain):
            module, _, name = line.removeprefix("from ").partition(" import ")
            names.setdefault(module, set()).add(name)
        froms = [
            f"from {module} import {', '.join(sorted(found, key=lambda n: (n.lower(), n)))}"
            for module, found in sorted(names.items())
        ]
        return "\n".join(_wrap_import(line) for line in [*plain, *froms])


def _wrap_import(line: str) -> str:
    if len(line) <= 99:
        return line
    head, _, names = line.partition(" import ")
    inner = "".join(f"    {name},\n" for name in names.split(", "))
    return f"{head} import (\n{inner})"


_BY_NAME = {snippet.name: snippet for snippet in (RECORD, *HELPERS, *POOL_FUNCTIONS, *MISUSE)}


def module_text(index: int, seed: int = DEFAULT_SEED) -> tuple[str, str, list[str]]:
    """Module ``index``: its file name, its text, and the findings it was written to have."""
    module = _Module(index, seed)
    text = module.write()
    return f"{module.name}.py", text, sorted(module.codes)


def generate(target: Path, files: int, seed: int = DEFAULT_SEED) -> tuple[int, int]:
    """Write ``files`` modules into ``target`` (created if need be): (files, lines)."""
    target.mkdir(parents=True, exist_ok=True)
    lines = 0
    for index in range(files):
        name, text, _ = module_text(index, seed)
        (target / name).write_text(text, encoding="utf-8")
        lines += text.count("\n")
    return files, lines


def iter_modules(files: int, seed: int = DEFAULT_SEED) -> Iterator[tuple[str, str, list[str]]]:
    for index in range(files):
        yield module_text(index, seed)


def stats(files: int, seed: int = DEFAULT_SEED) -> None:
    """Check the generated modules: they compile and parse, and how many findings they have."""
    import libcst

    from flake8_poolcheck.engine import Linter
    from flake8_poolcheck.settings import Settings

    linter = Linter(Settings())
    per_file: Counter[int] = Counter()
    codes: Counter[str] = Counter()
    planned: Counter[str] = Counter()
    lengths = []
    unplanned = []
    for name, text, written in iter_modules(files, seed):
        compile(text, name, "exec", dont_inherit=True)
        libcst.parse_module(text)
        found = linter.check(text)
        per_file[len(found)] += 1
        codes.update(d.code for d in found)
        planned.update(written)
        lengths.append(text.count("\n"))
        if sorted(d.code for d in found) != written:
            unplanned.append((name, written, sorted(d.code for d in found)))
    print(f"{files} files, {sum(lengths):,} lines ({min(lengths)}-{max(lengths)} a file)")
    print("findings a file:", ", ".join(f"{n}: {per_file[n]}" for n in sorted(per_file)))
    print("findings by code:", ", ".join(f"{c} {codes[c]}" for c in sorted(codes)))
    print("written to produce:", ", ".join(f"{c} {planned[c]}" for c in sorted(planned)))
    for name, written, found_codes in unplanned[:20]:
        print(f"  {name}: written {written}, found {found_codes}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", type=Path, help="the folder to write the modules into")
    parser.add_argument("--files", type=int, default=100, help="how many modules (default 100)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--stats", action="store_true", help="also run the checker and show the findings"
    )
    args = parser.parse_args(argv)
    files, lines = generate(args.target, args.files, args.seed)
    print(f"wrote {files} files, {lines:,} lines, to {args.target}")
    if args.stats:
        stats(args.files, args.seed)


if __name__ == "__main__":
    main()
