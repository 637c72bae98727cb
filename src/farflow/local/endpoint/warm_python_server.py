"""A warm Python interpreter that forks a fresh process for each container (the fork server's server half).

The endpoint runs this file as a script, `python warm_python_server.py FD [MODULE ...]`, with exactly the
environment and working folder of the containers it will serve (see warm_python_client.py, which keys warm
interpreters by those). It imports MODULE ... once, reports ready on the socket FD, and then, for each
request, forks a child that becomes the container:

    new session and process group -> stdout and stderr on the container's output -> the container's
    environment (exactly) and folder -> sys.argv and sys.path[0] as `python -m/-c/script` sets them
    -> the module, code or script runs as `__main__`, at this file's top level, so an uncaught exception,
    SystemExit, atexit handlers and non-daemon threads end the process as they would end a fresh one.

The server stays single-threaded (forking a process with threads is unsafe) and never runs task code
itself, so every child starts from the same state: a task that changes module globals, sys.modules or
the environment changes only its own copy. The server reaps its children and reports each exit code.

Stdlib only, and as few modules as possible: whatever this file imports is already in sys.modules when
the task starts. Messages are marshal-encoded dicts (version 4), one per SOCK_SEQPACKET packet:

    server -> endpoint   {"ready": True} | {"ready": False, "error": str}
    endpoint -> server   {"fork": {"mode": "-m" | "-c" | "script", "target": str, "args": [str],
                                   "env": {str: str}, "cwd": str}}  with the output fd attached
    server -> endpoint   {"forked": pid} | {"refused": str}
    server -> endpoint   {"exited": pid, "code": returncode}  (negative: killed by that signal)
"""

from __future__ import annotations

import _socket  # not `socket`: it imports selectors, enum, array... into every task
import gc
import marshal
import os
import select
import sys
import time

MARSHAL_VERSION = 4
MAX_MESSAGE = 1 << 20  # bytes; a workload command and an environment are a few KiB
FD_SIZE = 4  # bytes per fd in SCM_RIGHTS ancillary data (a C int)


def encode(message: dict[str, object]) -> bytes:
    return marshal.dumps(message, MARSHAL_VERSION)


def decode(data: bytes) -> dict[str, object]:
    message = marshal.loads(data)  # noqa: S302 - from the endpoint that started this process
    if not isinstance(message, dict):
        raise ValueError("a warm Python message must be a dict")
    return message


def send(sock: _socket.socket, message: dict[str, object], fds: list[int] | tuple[int, ...] = ()) -> None:
    ancillary = []
    if fds:
        data = b"".join(fd.to_bytes(FD_SIZE, sys.byteorder, signed=True) for fd in fds)
        ancillary = [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, data)]
    sock.sendmsg([encode(message)], ancillary)


def receive(sock: _socket.socket, max_fds: int = 1) -> tuple[dict[str, object] | None, list[int]]:
    """One message and the fds attached to it; (None, []) when the other end has closed."""
    data, ancillary, _flags, _address = sock.recvmsg(MAX_MESSAGE, _socket.CMSG_LEN(max_fds * FD_SIZE))
    fds = [
        int.from_bytes(item[i : i + FD_SIZE], sys.byteorder, signed=True)
        for level, kind, item in ancillary
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS
        for i in range(0, len(item) - len(item) % FD_SIZE, FD_SIZE)
    ]
    return (decode(data) if data else None), fds


class Job:
    """One container's program, run in the forked child (see `run`)."""

    def __init__(self, request: object) -> None:
        if not isinstance(request, dict):
            raise TypeError("a fork request is a dict")
        args, env = request["args"], request["env"]
        if request["mode"] not in ("-m", "-c", "script") or not isinstance(args, (list, tuple)):
            raise ValueError("a fork request's mode is -m, -c or script, and its args a list")
        if not isinstance(env, dict):
            raise TypeError("a fork request's env is a dict")
        self.mode = str(request["mode"])
        self.target = str(request["target"])
        self.args = [str(arg) for arg in args]
        self.env = {str(key): str(value) for key, value in env.items()}
        self.cwd = str(request["cwd"])

    def become(self, output: int, captured: bytes) -> None:
        """Turn this freshly forked child into the container's process (before any task code runs)."""
        os.setsid()
        os.dup2(output, 1)
        os.dup2(output, 2)
        if output > 2:
            os.close(output)
        view = memoryview(captured)
        while view:  # what the preloaded imports printed, as a fresh process would have printed it
            view = view[os.write(1, view) :]
        prepare_process_titles()
        os.environ.clear()
        os.environ.update(self.env)
        if hasattr(time, "tzset"):
            time.tzset()
        os.chdir(self.cwd)
        if "random" in sys.modules:  # the random module reseeds itself after fork too; be explicit
            sys.modules["random"].seed()
        main = type(sys)("__main__")
        main.__dict__["__builtins__"] = sys.modules["builtins"]
        sys.modules["__main__"] = main
        program = [self.target] if self.mode == "script" else [self.mode, self.target]
        sys.orig_argv = [sys.executable, *program, *self.args]

    def run(self) -> None:
        """Run the container's program as `python -m`, `python -c` or `python script` would."""
        main = sys.modules["__main__"].__dict__
        if self.mode == "-m":
            sys.argv = ["-m", *self.args]  # runpy replaces argv[0] with the module's file
            sys.path[0] = os.getcwd()
            sys.modules.pop(self.target, None)  # preloaded, but `python -m` would not have imported it
            import runpy

            run_as_main = getattr(runpy, "_run_module_as_main")  # noqa: B009 - what `python -m` calls
            run_as_main(self.target, alter_argv=True)
        elif self.mode == "-c":
            sys.argv = ["-c", *self.args]
            sys.path[0] = ""
            exec(compile(self.target, "<string>", "exec"), main)  # noqa: S102 - the container's own code
        else:
            path = os.path.abspath(self.target)
            sys.argv = [self.target, *self.args]
            sys.path[0] = os.path.dirname(os.path.realpath(path))
            try:
                with open(path, "rb") as file:
                    source = file.read()
            except OSError as error:
                sys.stderr.write(f"{sys.executable}: can't open file {path!r}: [Errno {error.errno}] ")
                sys.stderr.write(f"{error.strerror}\n")
                raise SystemExit(2) from None
            main.update(__file__=path, __cached__=None)
            exec(compile(source, path, "exec"), main)  # noqa: S102 - the container's own script

    @staticmethod
    def fail(error: BaseException) -> None:
        """End as the interpreter ends on an uncaught exception: its traceback (without this file's
        frames, which a fresh process would not have) through sys.excepthook, then exit code 1 (130 for
        KeyboardInterrupt, as a fresh process killed by SIGINT reports it)."""
        trace = error.__traceback__
        while trace is not None and trace.tb_frame.f_code.co_filename == __file__:
            trace = trace.tb_next
        sys.excepthook(type(error), error.with_traceback(trace), trace)
        raise SystemExit(130 if isinstance(error, KeyboardInterrupt) else 1)


class Server:
    def __init__(self, sock: _socket.socket, captured: bytes) -> None:
        self.sock = sock
        self.captured = captured
        self.poller = select.poll()
        self.poller.register(sock.fileno(), select.POLLIN)
        self.children: dict[int, int] = {}  # pidfd -> pid

    def serve(self) -> Job | None:
        """Serve until the endpoint closes the socket (None), or return the Job in a forked child."""
        while True:
            for fd, _events in self.poller.poll():
                if fd != self.sock.fileno():
                    self._reap(fd)
                    continue
                message, fds = receive(self.sock)
                if message is None:
                    self._end_children()
                    return None
                job = self._fork(message, fds)
                if job is not None:
                    return job

    def _fork(self, message: dict[str, object], fds: list[int]) -> Job | None:
        try:
            job = Job(message["fork"])
            if len(fds) != 1:
                raise ValueError("a fork request carries exactly one fd, the container's output")
            if not os.path.isdir(job.cwd):
                raise FileNotFoundError(2, "No such file or directory", job.cwd)
        except (KeyError, TypeError, ValueError, AttributeError, OSError) as error:
            for fd in fds:
                os.close(fd)
            send(self.sock, {"refused": f"{type(error).__name__}: {error}"})
            return None
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            self._leave()
            job.become(fds[0], self.captured)
            return job
        os.close(fds[0])
        pidfd = os.pidfd_open(pid)
        self.children[pidfd] = pid
        self.poller.register(pidfd, select.POLLIN)
        send(self.sock, {"forked": pid})
        return None

    def _leave(self) -> None:
        """In the child: drop the server's socket and its handles on the other children."""
        self.sock.close()
        for pidfd in self.children:
            os.close(pidfd)
        self.children = {}

    def _reap(self, pidfd: int) -> None:
        pid = self.children.pop(pidfd)
        self.poller.unregister(pidfd)
        os.close(pidfd)
        _, status = os.waitpid(pid, 0)
        send(self.sock, {"exited": pid, "code": os.waitstatus_to_exitcode(status)})

    def _end_children(self) -> None:
        """The endpoint is gone: its containers cannot be watched any more, so end them."""
        for pidfd, pid in self.children.items():
            try:  # noqa: SIM105 - contextlib would be one more module in every task
                os.killpg(pid, 9)  # SIGKILL (the signal module would import enum into every task)
            except OSError:
                pass
            os.close(pidfd)


def preload(modules: list[str]) -> str | None:
    """Import each module (a trailing '?' marks one that may be missing); an error message, or None."""
    for entry in modules:
        name, optional = entry.rstrip("?"), entry.endswith("?")
        try:
            __import__(name)
        except ModuleNotFoundError as error:
            if optional and error.name is not None and (name + ".").startswith(error.name + "."):
                continue  # not installed: nothing was half-imported
            return f"importing {name} failed: {type(error).__name__}: {error}"
        except BaseException as error:  # reported to the endpoint, which then runs the task cold
            return f"importing {name} failed: {type(error).__name__}: {error}"
    return None


def prepare_process_titles() -> None:
    """setproctitle finds the memory it rewrites (argv, then the environment's strings, where the kernel
    put them) on first use. A child that replaced its environment before that finds nothing to rewrite,
    and its title never changes: Airflow's task runner titles itself `airflow worker -- <ti id>`, which
    `ps` and the tests look for. So each child sets it up before replacing its environment. (Not the
    server: setting up rewrites that memory, and the stack's sweep finds a server by its environment.)"""
    try:
        import setproctitle
    except ImportError:
        return
    setproctitle.getproctitle()


def threads() -> int:
    """OS threads in this process (a fork copies only the calling one)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


def captured_output() -> bytes:
    """What this process printed so far (its stdout is a temporary file); then stdout goes nowhere."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.lseek(1, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(1, 1 << 16):
            chunks.append(chunk)
        data = b"".join(chunks)
    except OSError:
        data = b""
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)
    return data


def start(argv: list[str]) -> Job | None:
    sock = _socket.socket(fileno=int(argv[1]))
    # As `python -m` sets it for the container (a script's own folder is set per child): never this file's.
    sys.path[0] = os.getcwd()
    del sys.argv[1:]
    environ = dict(os.environ)
    error = preload(argv[2:])
    if error is None and threads() != 1:
        error = f"preloading {' '.join(argv[2:])} started threads; forking would copy only one"
    if error is None and dict(os.environ) != environ:
        changed = sorted(set(environ.items()) ^ set(os.environ.items()))
        error = f"preloading changed the environment ({', '.join(sorted({key for key, _ in changed}))}), "
        error += "which each child replaces with its container's"
    captured = captured_output()
    send(sock, {"ready": error is None, "error": error or ""})
    if error is not None:
        return None
    gc.freeze()  # keep the collector off the shared pages, so children copy fewer of them
    return Server(sock, captured).serve()


if __name__ == "__main__":
    _job = start(list(sys.argv))
    if _job is None:
        os._exit(0)  # the server ran no task code: nothing of its own to flush or clean up
    try:
        _job.run()
    except SystemExit:
        raise
    except BaseException as _error:
        _job.fail(_error)
