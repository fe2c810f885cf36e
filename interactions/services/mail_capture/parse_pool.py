"""Parsing fetched messages beside the run: a bounded pool of processes
(INTERACTIONS_MAIL_CAPTURE_PARSE_PROCESSES) parses the next batch while the run logs the
previous one, since Python's e-mail parser holds one core for about a millisecond a message.

- Without processes (the default), `parse` parses the batch at once, in the run's process.
- At most one batch is parsed ahead: memory holds two batches whatever the backlog.
- The processes are started by "spawn" (never fork: the run holds a database connection and
  its process may have threads), set Django up, and only parse: no database, no files.
- A batch's result keeps the messages' order.
"""

import concurrent.futures
import multiprocessing
from collections.abc import Sequence

from .capture import ParsedMessage
from .parse_worker import parse_chunk, start_process


class ParsingBatch:
    """A batch being parsed (or parsed): `result()` waits for it."""

    def __init__(self, *, done: list[ParsedMessage] | None = None, futures=()):
        self._done = done
        self._futures = list(futures)

    def result(self) -> list[ParsedMessage]:
        if self._done is None:
            self._done = [parsed for future in self._futures for parsed in future.result()]
            self._futures = []
        return self._done


class ParsePool:
    """A context manager; `parse(messages)` with messages as (raw, too_large) pairs."""

    def __init__(self, *, processes: int, attachment_limit: int):
        self.processes = processes
        self.attachment_limit = attachment_limit
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None

    def __enter__(self) -> "ParsePool":
        if self.processes > 0:
            self._executor = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=start_process,
            )
        return self

    def __exit__(self, *exc_info) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def parse(self, messages: Sequence[tuple[bytes, bool]]) -> ParsingBatch:
        if self._executor is None or not messages:
            return ParsingBatch(done=parse_chunk(list(messages), self.attachment_limit))
        size = -(-len(messages) // self.processes)
        return ParsingBatch(
            futures=[
                self._executor.submit(parse_chunk, list(messages[start : start + size]), self.attachment_limit)
                for start in range(0, len(messages), size)
            ]
        )
