"""Save and load state dicts and checkpoints as ``.npz`` files, with no pickle.

File format, version 1: a zip archive that ``np.load(path, allow_pickle=False)``
opens. Every numpy array (or numpy scalar) of the saved object is one member
``arr_<k>.npy``. The member ``__minitorch__.npy`` holds, as a uint8 array of
UTF-8 bytes, a JSON document::

    {"magic": "minitorch", "format_version": 1, "root": <node>}

where a node is a JSON ``null``, boolean, number or string for the Python value
of that type, or a one-key object tagging a container or an array::

    {"dict": [[key, node], ...]}        keys are JSON strings or integers, as saved
    {"list": [node, ...]}   {"tuple": [node, ...]}   {"complex": [real, imag]}
    {"array": {"member": "arr_0", "dtype": "<f4", "shape": [3, 2], "crc32": 123}}
    {"scalar": {...same fields, shape []...}}       (a numpy scalar such as np.float32)

The CRC-32 of each array's C-order bytes is checked on load, so a member that was
swapped or edited is refused. Loading never runs code: no pickle anywhere.

:func:`save` replaces the file atomically: it writes a hidden temporary file in
the same folder, flushes it to disk, then renames it over ``path``. If anything
fails during the save, the temporary file is removed and the previous file is
left as it was. (A process killed outright may leave a ``.<name>.<hex>.tmp`` file.)
"""
import io
import json
import math
import os
import secrets
import stat
import zipfile
import zlib

import numpy as np

__all__ = ["save", "load", "CheckpointError", "FORMAT_VERSION"]

MAGIC = "minitorch"
FORMAT_VERSION = 1
_HEADER = "__minitorch__"
_KINDS = "biufc"                                  # bool, int, uint, float, complex
_KIND_NAMES = "a bool, integer, float or complex dtype"


class CheckpointError(ValueError):
    """``mt.load`` cannot read a file: it is empty, truncated, corrupted, not
    written by minitorch, or written by a newer format version. The message names
    the file and says which."""


def _key(k):
    return f"[{json.dumps(k, ensure_ascii=False)}]"


# --- save ------------------------------------------------------------------------
class _Encoder:
    """Turn an object into a JSON node, collecting its arrays into ``self.arrays``."""

    def __init__(self):
        self.arrays = {}
        self._open = set()                       # ids of containers being encoded

    def node(self, x, where):
        if isinstance(x, np.ndarray):
            return {"array": self._array(x, where)}
        if isinstance(x, np.generic) and x.dtype.kind in _KINDS:
            return {"scalar": self._array(np.asarray(x), where)}
        if x is None or isinstance(x, (bool, str)):
            return str(x) if isinstance(x, str) else x
        if isinstance(x, int):
            return int(x)
        if isinstance(x, float):
            return float(x)
        if isinstance(x, complex):
            return {"complex": [x.real, x.imag]}
        if isinstance(x, (dict, list, tuple)):
            if id(x) in self._open:
                raise ValueError(f"mt.save: {where} contains itself; expected a tree of "
                                 f"containers, got a cycle")
            self._open.add(id(x))
            try:
                if isinstance(x, dict):
                    return {"dict": [[self._dict_key(k, where), self.node(v, where + _key(k))]
                                     for k, v in x.items()]}
                tag = "tuple" if isinstance(x, tuple) else "list"
                return {tag: [self.node(v, f"{where}[{i}]") for i, v in enumerate(x)]}
            finally:
                self._open.discard(id(x))
        hint = " (save t.numpy(), or a model's state_dict())" \
            if type(x).__name__ in ("Tensor", "Parameter") else \
            " (save its state_dict())" if hasattr(x, "state_dict") else ""
        raise TypeError(f"mt.save: cannot store {type(x).__name__} at {where}{hint}; expected "
                        f"dict, list, tuple, numpy array or scalar, int, float, bool, str "
                        f"or None")

    def _dict_key(self, k, where):
        if isinstance(k, str):
            return str(k)
        if isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)):
            return int(k)
        raise TypeError(f"mt.save: cannot store the dict key {k!r} ({type(k).__name__}) in "
                        f"{where}; expected str or int keys")

    def _array(self, a, where):
        if a.dtype.kind not in _KINDS:
            raise TypeError(f"mt.save: cannot store a numpy array of dtype {a.dtype} at "
                            f"{where}; expected {_KIND_NAMES}")
        name = f"arr_{len(self.arrays)}"
        self.arrays[name] = a
        return {"member": name, "dtype": a.dtype.str, "shape": list(a.shape),
                "crc32": zlib.crc32(np.ascontiguousarray(a))}


def _write_npz(file, members):
    """Write ``{name: array}`` as an uncompressed .npz to an open binary file."""
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED) as zf:
        for name, a in members.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16     # fixed date and mode: same object, same bytes
            with zf.open(info, mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, a, allow_pickle=False)


def _fspath(path, fn):
    try:
        return os.fsdecode(os.fspath(path))
    except TypeError:
        raise TypeError(f"mt.{fn}: expected a file path (str or os.PathLike), got "
                        f"{type(path).__name__}") from None


def save(obj, path):
    """Save a state dict or checkpoint to ``path`` (an ``.npz`` file), atomically.

    Args:
        obj: nested dicts (str or int keys), lists and tuples of numpy arrays
            (bool, integer, float or complex; any shape, 0-d included), numpy
            scalars, int, float, complex, bool, str and None.
        path: the file to write, exactly as given (no suffix is added).

    Raises:
        TypeError: ``obj`` holds something else (a function, an object array, ...);
            the message names where, e.g. ``obj["model"]["fc.weight"]``. Nothing is
            written.

    Example:
        >>> import os, tempfile
        >>> import minitorch as mt
        >>> from minitorch import nn, optim
        >>> model = nn.Linear(3, 2)
        >>> opt = optim.SGD(model.parameters(), lr=0.1)
        >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
        >>> mt.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, path)
        >>> sorted(mt.load(path))
        ['epoch', 'model', 'optimizer']
    """
    path = _fspath(path, "save")
    encoder = _Encoder()
    root = encoder.node(obj, "obj")
    text = json.dumps({"magic": MAGIC, "format_version": FORMAT_VERSION, "root": root})
    members = {_HEADER: np.frombuffer(text.encode("utf-8"), dtype=np.uint8)}
    members.update(encoder.arrays)

    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"mt.save: cannot write {path!r}: folder {folder!r} does not exist")
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            _write_npz(f, members)
            f.flush()
            os.fsync(f.fileno())
        if os.path.exists(path):                 # keep the permissions of the file replaced
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_folder(folder)


def _fsync_folder(folder):
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- load ------------------------------------------------------------------------
class _Reader:
    """Read members of an open archive, checking everything against the structure."""

    def __init__(self, zf, path, file_size):
        self.zf, self.path, self.file_size = zf, path, file_size
        self.names = set(zf.namelist())

    def fail(self, what):
        return CheckpointError(f"mt.load: cannot load {self.path!r}: {what}")

    def member(self, name, where):
        """The array stored as ``name``.npy, read whole (so the zip CRC is checked)."""
        if name + ".npy" not in self.names:
            raise self.fail(f"missing array member {name!r} (referenced by {where})")
        info = self.zf.getinfo(name + ".npy")
        if info.compress_size > self.file_size or (
                info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size):
            raise self.fail(f"member {name!r} is corrupted (its size in the zip directory is "
                            f"impossible)")
        try:          # any failure to decode bytes read from disk is the file's fault
            raw = self.zf.read(info)
            fp = io.BytesIO(raw)
            version = np.lib.format.read_magic(fp)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f"unsupported .npy version {version}")
            read_header = getattr(np.lib.format, f"read_array_header_{version[0]}_0")
            shape, fortran, dtype = read_header(fp)
        except Exception as err:
            raise self.fail(f"member {name!r} is corrupted ({type(err).__name__}: {err})") from err
        count = math.prod(shape)
        if dtype.kind not in _KINDS or len(raw) - fp.tell() != count * dtype.itemsize:
            raise self.fail(f"member {name!r} is corrupted (dtype {dtype}, shape {shape}, "
                            f"{len(raw) - fp.tell()} data bytes)")
        a = np.frombuffer(raw, dtype=dtype, count=count, offset=fp.tell())
        return a.reshape(shape, order="F" if fortran else "C").copy(order="K")

    def array(self, spec, where):
        if not (isinstance(spec, dict) and set(spec) == {"member", "dtype", "shape", "crc32"}
                and isinstance(spec["member"], str)):
            raise self.fail(f"corrupted structure at {where}: bad array record {spec!r:.80}")
        a = self.member(spec["member"], where)
        if a.dtype.str != spec["dtype"] or list(a.shape) != spec["shape"]:
            raise self.fail(f"member {spec['member']!r} does not match {where}: expected dtype "
                            f"{spec['dtype']} and shape {tuple(spec['shape'])}, got {a.dtype.str} "
                            f"and {a.shape}")
        if zlib.crc32(np.ascontiguousarray(a)) != spec["crc32"]:
            raise self.fail(f"member {spec['member']!r} does not match {where}: checksum differs "
                            f"(the member was changed or swapped)")
        return a

    def node(self, x, where):
        if x is None or isinstance(x, (bool, int, float, str)):
            return x
        if isinstance(x, dict) and len(x) == 1:
            (tag, body), = x.items()
            if tag == "dict" and isinstance(body, list):
                out = {}
                for pair in body:
                    if not (isinstance(pair, list) and len(pair) == 2
                            and isinstance(pair[0], (str, int)) and not isinstance(pair[0], bool)):
                        raise self.fail(f"corrupted structure in {where}: bad dict item "
                                        f"{pair!r:.80}")
                    out[pair[0]] = self.node(pair[1], where + _key(pair[0]))
                return out
            if tag in ("list", "tuple") and isinstance(body, list):
                items = [self.node(v, f"{where}[{i}]") for i, v in enumerate(body)]
                return tuple(items) if tag == "tuple" else items
            if tag == "complex" and isinstance(body, list) and len(body) == 2 and all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) for v in body):
                return complex(*body)
            if tag == "array":
                return self.array(body, where)
            if tag == "scalar":
                return self.array(body, where)[()]
        raise self.fail(f"corrupted structure at {where}: unexpected {json.dumps(x)[:80]}")

    def header(self):
        if _HEADER + ".npy" not in self.names:
            raise self.fail(f"not a minitorch file (an .npz without a {_HEADER!r} member; "
                            f"expected a file written by mt.save)")
        raw = self.member(_HEADER, "the header")
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise self.fail(f"not a minitorch file (the {_HEADER!r} member holds {raw.dtype} "
                            f"of shape {raw.shape}, expected uint8 bytes)")
        try:
            header = json.loads(raw.tobytes().decode("utf-8"))
        except (ValueError, RecursionError) as err:
            raise self.fail(f"not a minitorch file (the {_HEADER!r} member is not JSON: "
                            f"{err})") from err
        if not isinstance(header, dict) or header.get("magic") != MAGIC:
            raise self.fail(f"not a minitorch file (the {_HEADER!r} member lacks the magic "
                            f"string {MAGIC!r})")
        version = header.get("format_version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise self.fail(f"corrupted header: expected an integer format version >= 1, "
                            f"got {version!r}")
        if version > FORMAT_VERSION:
            raise self.fail(f"written by a newer format version {version}; this minitorch "
                            f"reads up to {FORMAT_VERSION}")
        if "root" not in header:
            raise self.fail("corrupted header: no 'root' entry")
        return header


def load(path):
    """Load an object saved by :func:`save`. Never runs code from the file.

    Dicts (with their str or int keys), lists and tuples come back as they were
    saved; arrays come back as writable numpy arrays of the saved dtype and shape,
    numpy scalars as numpy scalars.

    Raises:
        CheckpointError (a ``ValueError``): the file is empty, truncated, not a zip
            (.npz) file, an .npz not written by minitorch, from a newer format
            version, missing a member, or corrupted; the message says which.
        OSError: the file cannot be opened (e.g. ``FileNotFoundError``).

    Example:
        >>> import os, tempfile
        >>> import minitorch as mt
        >>> from minitorch import nn
        >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
        >>> mt.save({"model": nn.Linear(3, 2).state_dict(), "epoch": 3}, path)
        >>> ckpt = mt.load(path)
        >>> ckpt["epoch"], ckpt["model"]["weight"].shape
        (3, (2, 3))
        >>> nn.Linear(3, 2).load_state_dict(ckpt["model"])
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
    """
    path = _fspath(path, "load")
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        start = f.read(4)
        f.seek(0)
        if size == 0:
            raise CheckpointError(f"mt.load: cannot load {path!r}: the file is empty")
        try:          # any failure to parse the zip directory is the file's fault
            zf = zipfile.ZipFile(f)
        except Exception as err:
            what = ("a truncated or corrupted .npz (zip) file" if start == b"PK\x03\x04"
                    else "not an .npz (zip) file; expected a file written by mt.save")
            raise CheckpointError(f"mt.load: cannot load {path!r}: {what} "
                                  f"({type(err).__name__}: {err})") from err
        with zf:
            reader = _Reader(zf, path, size)
            return reader.node(reader.header()["root"], "obj")
