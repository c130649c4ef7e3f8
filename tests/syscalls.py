"""A real process's file-system calls, recorded by strace, and the states a power cut could leave.

`record` runs a command under `strace -f` and returns its calls on files under a folder, in the order
they completed. `Disk` replays them on a model of what a file system guarantees: a file's data reaches
the disk only when it is fsynced (until then any later write may be lost or cut short), and changes to
a folder's names (create, rename, unlink) are journalled in order but only certain to survive once the
folder is fsynced. `crash_states` lists, for a point in the recording, the folders a power cut there
could leave, written out for the test to open.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

TRACED = (
    "openat,open,creat,write,pwrite64,writev,lseek,ftruncate,fsync,fdatasync,rename,renameat,renameat2,"
    "unlink,unlinkat,mkdir,mkdirat,rmdir,link,linkat,copy_file_range,sendfile,close"
)
# Calls that change files in ways the model does not follow: a recording using them fails loudly.
UNMODELLED = {"link", "linkat", "copy_file_range", "sendfile", "open", "creat", "mkdirat"}
O_CREAT, O_TRUNC, O_APPEND, O_DIRECTORY = 0x40, 0x200, 0x400, 0x10000

_LINE = re.compile(r"^(\d+)\s+(\w+)\((.*)\)\s+= (-?\d+|0x[0-9a-f]+)")
_FD = re.compile(r"^(-?\d+)<([^>]*)>")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


@dataclass
class Call:
    pid: int
    name: str
    args: str
    result: int

    def fd(self) -> tuple[int, str]:
        """The file descriptor first argument and its path (strace -y)."""
        found = _FD.match(self.args)
        assert found, self.args
        return int(found.group(1)), _text(found.group(2))

    def strings(self) -> list[str]:
        return [_text(text) for text in _STRING.findall(self.args)]

    def data(self) -> bytes:
        """The bytes a write passes."""
        return b"".join(_bytes(text) for text in _STRING.findall(self.args))


def _bytes(escaped: str) -> bytes:
    """What strace -xx printed as \\xHH for every byte."""
    return bytes.fromhex(escaped.replace("\\x", ""))


def _text(escaped: str) -> str:
    return _bytes(escaped).decode("utf-8", "surrogateescape")


def _escaped(text: str) -> str:
    return "".join(f"\\x{byte:02x}" for byte in text.encode())

    def numbers(self) -> list[int]:
        """The plain integer arguments after the last string, e.g. a pwrite's count and offset."""
        tail = self.args.rsplit('"', 1)[-1]
        return [int(value, 0) for value in re.findall(r"(?<![\w<])(-?(?:0x[0-9a-f]+|\d+))(?![\w>])", tail)]


def record(command: list[str], root: Path, log: Path) -> list[Call]:
    """Run `command` under strace; its calls touching `root` or below, in order."""
    strace = ["strace", "-f", "-y", "-qq", "-X", "raw", "-xx", "-s", str(1 << 26), "-e", f"trace={TRACED}"]
    subprocess.run([*strace, "-o", str(log), *command], check=True)
    return parse(log.read_text(), root)


def parse(text: str, root: Path) -> list[Call]:
    """The calls of an strace log that touch `root` or below (joining calls strace split in two)."""
    pending: dict[str, str] = {}
    calls = []
    prefix = _escaped(str(root))
    for line in text.splitlines():
        pid, _, rest = line.partition(" ")
        rest = rest.lstrip()
        if rest.endswith("<unfinished ...>"):
            pending[pid] = rest[: -len("<unfinished ...>")].rstrip()
            continue
        resumed = re.match(r"<\.\.\. \w+ resumed>\s?(.*)", rest)
        if resumed:
            rest = pending.pop(pid, "") + resumed.group(1)
        found = _LINE.match(f"{pid} {rest}")
        if not found or prefix not in found.group(3):
            continue
        call = Call(int(found.group(1)), found.group(2), found.group(3), int(found.group(4), 0))
        if call.result < 0:
            continue
        assert call.name not in UNMODELLED, f"the model does not follow {call.name}: {line}"
        calls.append(call)
    return calls


@dataclass(eq=False)
class Inode:
    """A file: what the disk holds for certain (`synced`) and the writes since, in order."""

    synced: bytes = b""
    pending: list[tuple[int, bytes | None]] = field(default_factory=list)  # (offset, data) or (size, None)

    def current(self) -> bytes:
        return self.contents(len(self.pending), torn=False)

    def contents(self, writes: int, torn: bool) -> bytes:
        """The file with its first `writes` pending writes, the last of them cut in half if `torn`."""
        data = bytearray(self.synced)
        for n, (offset, chunk) in enumerate(self.pending[:writes]):
            if chunk is None:  # a truncation
                del data[offset:]
                continue
            if torn and n == writes - 1:
                chunk = chunk[: len(chunk) // 2]
            if len(data) < offset:
                data.extend(bytes(offset - len(data)))
            data[offset : offset + len(chunk)] = chunk
        return bytes(data)


@dataclass
class Disk:
    """The model: files by path, the journal of name changes, and what each fsync made certain."""

    root: Path
    names: dict[str, Inode | None] = field(default_factory=dict)  # path -> file (None: a folder)
    journal: list[tuple[str, str, Inode | None]] = field(default_factory=list)  # ("set"/"del", path, inode)
    forced: int = 0  # journal entries certain to be on disk
    offsets: dict[tuple[int, int], int] = field(default_factory=dict)

    def apply(self, call: Call) -> None:
        handler = getattr(self, f"_{call.name}", None)
        if handler is not None:
            handler(call)

    def _set(self, path: str, inode: Inode | None) -> None:
        self.names[path] = inode
        self.journal.append(("set", path, inode))

    def _delete(self, path: str) -> None:
        self.names.pop(path, None)
        self.journal.append(("del", path, None))

    def _openat(self, call: Call) -> None:
        path = call.strings()[0]
        flags = int(call.args.split(", ")[2], 0)
        if flags & O_DIRECTORY or not path.startswith(str(self.root)):
            return
        inode = self.names.get(path)
        if inode is None:
            assert flags & O_CREAT, f"{path} opened but never created in the recording"
            inode = Inode()
            self._set(path, inode)
        elif flags & O_TRUNC:
            inode.pending.append((0, None))
        self.offsets[(call.pid, call.result)] = len(inode.current()) if flags & O_APPEND else 0

    def _lseek(self, call: Call) -> None:
        fd, _ = call.fd()
        self.offsets[(call.pid, fd)] = call.result

    def _write(self, call: Call) -> None:
        fd, path = call.fd()
        if path in self.names:
            offset = self.offsets.get((call.pid, fd), 0)
            data = call.data()[: call.result]
            self.names[path].pending.append((offset, data))
            self.offsets[(call.pid, fd)] = offset + len(data)

    _writev = _write

    def _pwrite64(self, call: Call) -> None:
        _, path = call.fd()
        if path in self.names:
            self.names[path].pending.append((call.numbers()[-1], call.data()[: call.result]))

    def _ftruncate(self, call: Call) -> None:
        _, path = call.fd()
        if path in self.names:
            self.names[path].pending.append((call.numbers()[-1], None))

    def _fsync(self, call: Call) -> None:
        _, path = call.fd()
        inode = self.names.get(path)
        if inode is not None:
            inode.synced, inode.pending = inode.current(), []
        elif path in self.names or path == str(self.root):  # a folder: the names journalled so far are certain
            self.forced = len(self.journal)

    _fdatasync = _fsync

    def _rename(self, call: Call) -> None:
        source, target = call.strings()[:2]
        if source.startswith(str(self.root)):
            inode = self.names.pop(source)
            self.journal.append(("del", source, None))
            self._set(target, inode)

    _renameat = _renameat2 = _rename

    def _unlink(self, call: Call) -> None:
        self._delete(call.strings()[0])

    _unlinkat = _rmdir = _unlink

    def _mkdir(self, call: Call) -> None:
        self._set(call.strings()[0], None)

    def states(self) -> Iterator[tuple[str, dict[str, bytes | None]]]:
        """What a power cut now could leave: (how, path -> file contents or None for a folder). The
        names: every journal prefix from the last certain entry on; the files: their writes since the
        last fsync all lost, all kept but the last cut short, or all kept."""
        lengths = sorted({self.forced, len(self.journal), *self._renames()})
        for length in lengths:
            names: dict[str, Inode | None] = {}
            for action, path, inode in self.journal[:length]:
                if action == "set":
                    names[path] = inode
                else:
                    names.pop(path, None)
            for how in ("lost", "torn", "kept"):
                files = {}
                for path, inode in names.items():
                    if inode is None:
                        files[path] = None
                    elif how == "lost":
                        files[path] = inode.synced
                    else:
                        files[path] = inode.contents(len(inode.pending), torn=how == "torn")
                yield f"{length} of {len(self.journal)} name changes, unsynced writes {how}", files

    def _renames(self) -> list[int]:
        """Journal lengths just before and after each rename past the certain prefix."""
        found = []
        for n in range(self.forced, len(self.journal) - 1):
            (first, _, _), (second, _, _) = self.journal[n], self.journal[n + 1]
            if (first, second) == ("del", "set"):
                found += [n, n + 2]
        return found


def write_state(files: dict[str, bytes | None], root: Path, into: Path) -> None:
    """Write a state's files under `into`, which takes the place of `root`."""
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    for path, data in sorted(files.items(), key=lambda item: item[0]):
        target = into / Path(path).relative_to(root)
        if data is None:
            target.mkdir(parents=True, exist_ok=True)
        elif target.parent.is_dir():  # a file whose folder's name did not survive is gone with it
            target.write_bytes(data)
