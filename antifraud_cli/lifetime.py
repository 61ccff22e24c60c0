"""Process lifetime: SIGTERM stops a build the way Ctrl-C does, a commit is never cut in half, and `-j`
workers never outlive the build that started them."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from contextlib import contextmanager


class Terminated(KeyboardInterrupt):
    """SIGTERM (kill, timeout, systemd, docker stop): handled like Ctrl-C, exit code 143."""


_deferring = 0
_pending: list[int] = []


def _raise_for(signum: int) -> None:
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _on_signal(signum, frame) -> None:
    if _deferring:
        _pending.append(signum)
        return
    _raise_for(signum)


def install() -> None:
    """In the main process of the command line only (signal handlers belong to the main thread)."""
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)


@contextmanager
def deferred():
    """Ctrl-C or SIGTERM arriving inside take effect at its end: the files it moves all move, or none."""
    global _deferring
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
        if not _deferring and _pending:
            signum = _pending[0]
            _pending.clear()
            _raise_for(signum)


# ---------------------------------------------------------------- processor-time budgets

_budgeting = False  # a cpu_budget is running in this process


@contextmanager
def cpu_budget(seconds: float, stop: BaseException):
    """Raise `stop` inside the block once this process has used `seconds` of processor time in it (SIGPROF: CPU
    time, not the wall clock, so a busy machine does not trip it). A step of C code finishes first. Only in the
    main thread, where signals are delivered; elsewhere the block runs unguarded."""
    global _budgeting
    if _budgeting or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield  # inside another budget (a document composed again while it renders): that one holds
        return
    _budgeting = True
    armed = [True]

    def on_prof(signum, frame):
        if armed[0]:
            armed[0] = False
            raise stop

    previous = signal.signal(signal.SIGPROF, on_prof)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
        _budgeting = False


# ---------------------------------------------------------------- workers

def usable_cpus() -> int:
    """The CPUs this process may run on (a container's or taskset's share, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def worker_count(requested: int | None) -> int:
    """How many worker processes `-j` gets: what was asked, at most one per usable CPU (more only waits and
    takes memory: -j 10000 started hundreds of processes, N170). The default is one per CPU."""
    cpus = usable_cpus()
    return cpus if requested is None else max(1, min(requested, cpus))


PR_SET_PDEATHSIG = 1


def worker_guard(parent: int, init=None, args: tuple = ()) -> None:
    """Pool initializer: die with the parent (even when it is SIGKILLed), leave Ctrl-C to the parent, which
    stops the workers itself, then run `init(*args)`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if not _die_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the guard was in place
        os._exit(1)
    if init is not None:
        init(*args)


def _die_with_parent() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def stop_workers(pool) -> None:
    """Stop a ProcessPoolExecutor now: running jobs are killed, queued ones dropped (shutdown() alone would
    first finish every job already submitted)."""
    # The pool's own thread notices the dead workers and fails the queued jobs' futures, which map() has
    # already cancelled: Python 3.11 raises InvalidStateError there. Nobody waits for them; keep it quiet.
    manager, previous = getattr(pool, "_executor_manager_thread", None), threading.excepthook

    def quiet(args):
        if args.thread is not manager:
            previous(args)

    threading.excepthook = quiet
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:
        try:
            proc.terminate()
        except (OSError, ValueError, AttributeError):
            pass
    for proc in procs:
        try:
            proc.join(timeout=10)
        except (OSError, ValueError, AssertionError):
            pass
    # A worker killed while sending a result leaves the pool's result thread waiting for the rest of that
    # message, and shutdown (or interpreter exit) waiting for that thread forever. The workers' ends of the
    # result pipe closed when they died; closing ours too turns the wait into end-of-file: the pool then
    # marks itself broken and its threads finish.
    # Likewise the thread feeding queued jobs to the workers may be stuck writing to a full pipe that nobody
    # reads any more: closing our read end makes its write fail, and exit does not wait for it.
    for close in (lambda: pool._result_queue._writer.close(), lambda: pool._call_queue._reader.close(),
                  lambda: pool._call_queue.cancel_join_thread()):
        try:
            close()
        except (AttributeError, OSError):
            pass
    pool.shutdown(wait=False)  # the pool, now broken, fails the queued jobs itself
