"""What a long command is doing, for a person at a terminal (or reading a log).

Each stage that finishes is one line on standard output: its name in plain words and its
time (``build the LP   0.20 s``). While a stage runs, a progress line on standard error
says which stage, for how long, and, while HiGHS runs, its phase and iteration count
(:class:`fundopt.solver.watch.SolverWatch`): at a terminal one line redrawn in place
twice a second, from a second into the stage; in a log or a pipe a line every 15 seconds
(``FUNDOPT_PROGRESS_SECONDS`` sets another interval), from 5 seconds in, so a 150-second
solve is never 150 seconds of silence.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import TextIO

from fundopt.solver.watch import SolverWatch

#: Stage names as :func:`fundopt.solve` reports them, in plain words.
STAGE_WORDS: dict[str, str] = {
    "read": "read the workbook",
    "scenarios": "read the scenarios",
    "build": "build the LP",
    "handoff": "load into solver",
    "solve": "solve",
    "checks": "look for the conflict",
    "diagnosis": "find the cheapest way out",
    "relaxed solve": "solve, relaxed",
    "round": "whole pounds",
    "verify": "check every rule",
    "explain": "reasons and ranging",
    "bands": "bands (least, most)",
    "winners": "today's method",
    "write": "write the workbook",
}

#: The width of a stage's words in a timing line, so the seconds line up.
_WIDTH = max(len(w) for w in STAGE_WORDS.values())

#: The stage that usually follows each one, so the progress line can name what is running.
NEXT_STAGE: dict[str, str] = {"read": "build", "scenarios": "solve", "build": "handoff",
                              "handoff": "solve", "solve": "round", "relaxed solve": "round",
                              "diagnosis": "relaxed solve", "round": "verify",
                              "verify": "explain"}


@dataclass(frozen=True)
class Timing:
    """When progress lines appear: ``first_after`` seconds into a stage, then every
    ``every`` seconds."""

    first_after: float
    every: float


AT_A_TERMINAL = Timing(first_after=1.0, every=0.5)
IN_A_LOG = Timing(first_after=5.0, every=15.0)
#: Seconds between progress lines in a log (and before the first, at most 5), e.g. for CI.
EVERY_VARIABLE = "FUNDOPT_PROGRESS_SECONDS"


def log_timing() -> Timing:
    """:data:`IN_A_LOG`, or every ``$FUNDOPT_PROGRESS_SECONDS`` seconds when that is set."""
    text = os.environ.get(EVERY_VARIABLE, "")
    try:
        every = float(text)
    except ValueError:
        return IN_A_LOG
    if not every > 0:
        return IN_A_LOG
    return Timing(first_after=min(IN_A_LOG.first_after, every), every=every)


def say(text: str, stream: TextIO | None = None) -> None:
    """Print ``text``, replacing what a console cannot show (a '£' on an old code page)."""
    stream = stream or sys.stdout
    try:
        print(text, file=stream, flush=True)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        print(text.encode(encoding, "replace").decode(encoding), file=stream, flush=True)


class Progress:
    """Stage lines and a progress line; use as a context manager around the work."""

    def __init__(self, watch: SolverWatch | None = None, *, out: TextIO | None = None,
                 err: TextIO | None = None, timing: Timing | None = None,
                 live: bool | None = None) -> None:
        self.out, self.err = out or sys.stdout, err or sys.stderr
        self.watch = watch
        self.live = bool(self.err.isatty()) if live is None else live
        self.timing = timing or (AT_A_TERMINAL if self.live else log_timing())
        self.stage = ""
        self._since = time.perf_counter()
        self._next_line = self._since + self.timing.first_after
        self._shown = 0  # characters of the live line now on screen
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the work reports -------------------------------------------------------------------
    def begin(self, stage: str) -> None:
        """``stage`` starts now (a stage name or words)."""
        with self._lock:
            self.stage = stage
            self._since = time.perf_counter()
            self._next_line = self._since + self.timing.first_after

    def done(self, stage: str, seconds: float, detail: str = "") -> None:
        """``stage`` finished in ``seconds``: its line, then the likely next stage begins.
        Fits :func:`fundopt.solve`'s ``progress`` argument."""
        words = STAGE_WORDS.get(stage, stage)
        line = f"{words:<{_WIDTH}} {seconds:7.2f} s" + (f"   {detail}" if detail else "")
        self.say(line)
        following = NEXT_STAGE.get(stage)
        self.begin(following or "")

    def say(self, text: str, *, error: bool = False) -> None:
        """A line of output, with the progress line cleared first."""
        with self._lock:
            self._clear()
            say(text, self.err if error else self.out)

    @property
    def stage_words(self) -> str:
        return STAGE_WORDS.get(self.stage, self.stage)

    # -- the progress line ------------------------------------------------------------------
    def line(self, now: float | None = None) -> str:
        """The progress line as it would be shown now."""
        elapsed = (now or time.perf_counter()) - self._since
        what = self.stage_words or "working"
        solver = self.watch.describe() if self.watch is not None else ""
        return f"  {what}: {elapsed:,.0f} s" + (f" ({solver})" if solver else "")

    def _tick(self) -> None:
        while not self._stop.wait(min(0.5, self.timing.every)):
            with self._lock:
                now = time.perf_counter()
                if not self.stage or now < self._next_line:
                    continue
                text = self.line(now)
                if self.live:
                    self.err.write("\r" + text.ljust(self._shown))
                    self._shown = len(text)
                else:
                    self.err.write(text + "\n")
                self.err.flush()
                self._next_line = now + self.timing.every

    def _clear(self) -> None:
        if self._shown:
            self.err.write("\r" + " " * self._shown + "\r")
            self.err.flush()
            self._shown = 0

    def __enter__(self) -> Progress:
        self._thread = threading.Thread(target=self._tick, name="fundopt-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            self._clear()


__all__ = ["AT_A_TERMINAL", "EVERY_VARIABLE", "IN_A_LOG", "NEXT_STAGE", "STAGE_WORDS",
           "Progress", "Timing", "log_timing", "say"]
