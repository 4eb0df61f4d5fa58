"""mt.save / mt.load: round trips, the .npz layout, atomic replacement, and refusal
of every damaged or foreign file with CheckpointError (never another exception)."""
import io
import json
import math
import os
import zipfile

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings

from minitorch import serialization
from minitorch.serialization import FORMAT_VERSION, CheckpointError, load, save

SETTINGS = settings(deadline=None, max_examples=60,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_same(a, b, where="obj"):
    """Equal values and identical types, recursively; arrays bit for bit."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, dict):
        assert [(type(k), k) for k in a] == [(type(k), k) for k in b], f"{where}: keys differ"
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert a.tobytes() == b.tobytes(), where
    elif isinstance(a, float):
        same_sign = math.copysign(1, a) == math.copysign(1, b)
        assert (math.isnan(a) and math.isnan(b)) or (a == b and same_sign), where
    else:
        assert a == b, where


def checkpoint():
    """A checkpoint shaped like the ones the training loop writes."""
    rng = np.random.default_rng(0)
    model = {"0.weight": rng.standard_normal((4, 3)).astype(np.float32),
             "0.bias": rng.standard_normal(4).astype(np.float32),
             "2.weight": rng.standard_normal((2, 4)).astype(np.float32),
             "2.bias": np.zeros(2, np.float32)}
    optimizer = {"state": {0: {"step": 3, "exp_avg": np.ones((4, 3), np.float32)},
                           1: {"step": 3, "exp_avg": np.full(4, 0.5, np.float32)}},
                 "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8,
                                   "weight_decay": 0, "amsgrad": False, "foreach": None,
                                   "params": [0, 1, 2, 3]}]}
    return {"model": model, "optimizer": optimizer, "epoch": 3,
            "history": {"loss": [1.25, 0.5, 0.125], "acc": []}, "note": "résumé ✓"}


def members(path):
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def write_zip(path, contents):
    with zipfile.ZipFile(path, "w") as zf:
        for name, raw in contents.items():
            zf.writestr(name, raw)


def npy_bytes(a):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(a), allow_pickle=False)
    return buf.getvalue()


# --- round trips -----------------------------------------------------------------
def test_checkpoint_round_trip(tmp_path):
    obj = checkpoint()
    save(obj, tmp_path / "ckpt.npz")
    back = load(tmp_path / "ckpt.npz")
    assert_same(obj, back)
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert list(back["optimizer"]["state"]) == [0, 1]          # int keys stay ints
    w = back["model"]["0.weight"]
    assert w.flags.writeable and w.flags.owndata                  # a fresh array, not a view


def test_int_and_str_keys_kept_apart(tmp_path):
    obj = {0: "int zero", "0": "str zero", -5: [1], "": (), 2**70: None}
    save(obj, tmp_path / "k")
    back = load(tmp_path / "k")
    assert_same(obj, back)
    assert back[0] == "int zero" and back["0"] == "str zero"


def test_tuples_lists_and_scalars_keep_their_types(tmp_path):
    obj = [(1, [2, (3,)]), np.float16(1.5), np.int64(-7), np.bool_(True), np.uint8(200),
           np.complex64(1 - 2j), 3 + 4j, np.array(2.5), np.array(True), True, 1, 1.0]
    save(obj, tmp_path / "t")
    back = load(tmp_path / "t")
    assert_same(obj, back)
    assert back[-3] is True and type(back[-2]) is int and type(back[-1]) is float


def test_array_layouts_round_trip(tmp_path):
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    obj = {"fortran": np.asfortranarray(base), "strided": base[::2, ::3],
           "big_endian": base.astype(">f4"), "empty": np.zeros((0, 3), np.int32)}
    save(obj, tmp_path / "a")
    back = load(tmp_path / "a")
    for k, a in obj.items():
        assert back[k].dtype == a.dtype and back[k].shape == a.shape
        np.testing.assert_array_equal(back[k], a)


leaves = st.one_of(
    st.none(), st.booleans(), st.integers(-2**80, 2**80), st.floats(), st.text(max_size=8),
    st.complex_numbers(allow_nan=False),
    hnp.arrays(st.sampled_from([np.float16, np.float32, np.float64, np.int8, np.int32,
                                np.int64, np.uint16, np.bool_, np.complex128]),
               hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)),
    hnp.from_dtype(np.dtype(np.float32)), hnp.from_dtype(np.dtype(np.int16)))
keys = st.one_of(st.text(max_size=6), st.integers(-10**6, 10**6))
trees = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple),
    st.dictionaries(keys, inner, max_size=4)), max_leaves=12)


@SETTINGS
@given(obj=trees)
def test_random_nested_structures_round_trip(tmp_path, obj):
    save(obj, tmp_path / "r.bin")
    assert_same(obj, load(tmp_path / "r.bin"))


# --- the file itself -------------------------------------------------------------
def test_numpy_opens_the_file_without_pickle(tmp_path):
    obj = checkpoint()
    save(obj, tmp_path / "ckpt.npz")
    with np.load(tmp_path / "ckpt.npz", allow_pickle=False) as z:
        header = json.loads(bytes(z["__minitorch__"]).decode("utf-8"))
        assert header["magic"] == "minitorch" and header["format_version"] == FORMAT_VERSION == 1
        arrays = sorted((z[n].tobytes() for n in z.files if n != "__minitorch__"))
    expected = [obj["model"][k] for k in obj["model"]] + \
        [s["exp_avg"] for s in obj["optimizer"]["state"].values()]
    assert arrays == sorted(a.tobytes() for a in expected)


@pytest.mark.parametrize("name", ["ckpt", "ckpt.pt", "ckpt.npz", "weights.tar"])
def test_exactly_the_given_path_is_written(tmp_path, name):
    save({"x": np.ones(2)}, str(tmp_path / name))
    assert sorted(os.listdir(tmp_path)) == [name]
    assert_same(load(str(tmp_path / name)), {"x": np.ones(2)})


def test_same_object_gives_identical_bytes(tmp_path):
    save(checkpoint(), tmp_path / "a")
    save(checkpoint(), tmp_path / "b")
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


def test_overwrite_replaces_and_keeps_permissions(tmp_path):
    path = tmp_path / "c"
    save({"v": 1}, path)
    os.chmod(path, 0o600)
    save({"v": 2}, path)
    assert load(path) == {"v": 2}
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save({}, tmp_path / "nope" / "c")


def test_path_must_be_a_path(tmp_path):
    with pytest.raises(TypeError, match="expected a file path"):
        save({}, io.BytesIO())
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent")


# --- what save refuses -----------------------------------------------------------
@pytest.mark.parametrize("obj, where", [
    ({"model": {"fc.weight": lambda: 0}}, 'obj["model"]["fc.weight"]'),
    ({"a": [1, np.array([None, 1], dtype=object)]}, 'obj["a"][1]'),
    ({"state": {0: {"buf": {1, 2}}}}, 'obj["state"][0]["buf"]'),
    ([np.array(["a", "b"])], "obj[0]"),
    ({"t": (1, np.datetime64("2020-01-01"))}, 'obj["t"][1]'),
    ({"m": {(1, 2): 3}}, 'obj["m"]'),
    ({"m": {1.5: 3}}, 'obj["m"]'),
    ({"m": {True: 3}}, 'obj["m"]'),
])
def test_unsupported_objects_raise_typeerror_naming_where(tmp_path, obj, where):
    path = tmp_path / "c"
    save({"old": 1}, path)
    with pytest.raises(TypeError) as err:
        save(obj, path)
    assert where in str(err.value)
    assert os.listdir(tmp_path) == ["c"] and load(path) == {"old": 1}


def test_tensor_gets_a_hint(tmp_path):
    from minitorch.tensor import Tensor
    with pytest.raises(TypeError, match=r'obj\["w"\].*numpy\(\)'):
        save({"w": Tensor(np.ones(2))}, tmp_path / "c")
    assert os.listdir(tmp_path) == []


def test_a_cycle_is_refused(tmp_path):
    a = [1]
    a.append({"x": a})
    with pytest.raises(ValueError, match=r'obj\[1\]\["x"\] contains itself'):
        save(a, tmp_path / "c")
    shared = np.ones(2)
    save([shared, shared, (shared,)], tmp_path / "ok")          # shared, not cyclic: fine
    assert len(load(tmp_path / "ok")) == 3


# --- interrupted saves -----------------------------------------------------------
class Boom(Exception):
    pass


def test_failure_at_rename_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    save({"epoch": 1, "w": np.zeros(3)}, path)
    before = path.read_bytes()

    def boom(*args):
        raise Boom("disk full")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(Boom):
        save({"epoch": 2, "w": np.ones(3)}, path)
    assert os.listdir(tmp_path) == ["ckpt.npz"] and path.read_bytes() == before
    assert_same(load(path), {"epoch": 1, "w": np.zeros(3)})


def test_failure_mid_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    save(checkpoint(), path)
    real = np.lib.format.write_array
    calls = []

    def write_some_then_fail(fp, array, **kw):
        calls.append(1)
        if len(calls) == 3:                       # two members written, the third half-way
            fp.write(b"\x93NUMPY partial")
            raise KeyboardInterrupt
        return real(fp, array, **kw)
    monkeypatch.setattr(np.lib.format, "write_array", write_some_then_fail)
    with pytest.raises(KeyboardInterrupt):
        save({"a": np.ones(5), "b": np.ones(5), "c": np.ones(5)}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    assert_same(load(path), checkpoint())


def test_failure_at_fsync_removes_temp_for_a_new_file(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(5, "I/O error")))
    with pytest.raises(OSError, match="I/O error"):
        save({"a": 1}, tmp_path / "new")
    assert os.listdir(tmp_path) == []


# --- what load refuses -----------------------------------------------------------
def damaged(tmp_path, raw, name="bad.npz"):
    path = tmp_path / name
    path.write_bytes(raw)
    return path


def refused(path, *fragments):
    with pytest.raises(CheckpointError) as err:
        load(path)
    msg = str(err.value)
    assert str(path) in msg
    for f in fragments:
        assert f in msg, msg
    return msg


def test_checkpoint_error_is_a_value_error():
    assert issubclass(CheckpointError, ValueError)


def test_refuses_empty_random_and_truncated_files(tmp_path):
    refused(damaged(tmp_path, b""), "empty")
    refused(damaged(tmp_path, np.random.default_rng(0).bytes(500)), "not an .npz (zip) file")
    save(checkpoint(), tmp_path / "good")
    raw = (tmp_path / "good").read_bytes()
    for cut in (10, len(raw) // 2, len(raw) - 1):
        refused(damaged(tmp_path, raw[:cut]), "truncated")


def test_refuses_a_foreign_npz(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, weight=np.ones(3))
    refused(path, "not a minitorch file")
    header = npy_bytes(np.frombuffer(b'{"magic": "other"}', np.uint8))
    refused(damaged(tmp_path, _zip_bytes({"__minitorch__.npy": header})), "not a minitorch file")
    refused(damaged(tmp_path, _zip_bytes({"__minitorch__.npy": npy_bytes(np.ones(3))})),
            "not a minitorch file")
    refused(damaged(tmp_path, _zip_bytes({"__minitorch__.npy": npy_bytes(
        np.frombuffer(b"\xff\xfe{", np.uint8))})), "not a minitorch file")


def _zip_bytes(contents):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, raw in contents.items():
            zf.writestr(name, raw)
    return buf.getvalue()


def _header(root, version=1):
    text = json.dumps({"magic": "minitorch", "format_version": version, "root": root})
    return npy_bytes(np.frombuffer(text.encode(), np.uint8))


def test_refuses_a_newer_format_version(tmp_path):
    path = damaged(tmp_path, _zip_bytes({"__minitorch__.npy": _header(None, version=2)}))
    refused(path, "written by a newer format version 2; this minitorch reads up to 1")
    refused(damaged(tmp_path, _zip_bytes({"__minitorch__.npy": _header(None, version="1")})),
            "format version")


def test_refuses_a_missing_member_naming_it(tmp_path):
    path = tmp_path / "c"
    save({"a": np.ones(2), "b": [np.zeros(3)]}, path)
    contents = members(path)
    del contents["arr_1.npy"]
    write_zip(path, contents)
    refused(path, "missing array member 'arr_1'", 'obj["b"][0]')


def test_refuses_swapped_members_of_equal_shape(tmp_path):
    path = tmp_path / "c"
    save({"a": np.ones(2), "b": np.zeros(2)}, path)
    contents = members(path)
    contents["arr_0.npy"], contents["arr_1.npy"] = contents["arr_1.npy"], contents["arr_0.npy"]
    write_zip(path, contents)
    refused(path, "'arr_0'", 'obj["a"]', "checksum")


def test_refuses_a_member_of_another_shape(tmp_path):
    path = tmp_path / "c"
    save({"a": np.ones(2)}, path)
    contents = members(path)
    contents["arr_0.npy"] = npy_bytes(np.ones(3))
    write_zip(path, contents)
    refused(path, "does not match", "shape (2,)")


def test_refuses_a_corrupted_member(tmp_path):
    path = tmp_path / "c"
    w = np.full(16, 7.25)
    save({"w": w}, path)
    raw = bytearray(path.read_bytes())
    at = bytes(raw).index(w.tobytes())
    raw[at + 5] ^= 0x10                           # one bit of the array data
    refused(damaged(tmp_path, bytes(raw)), "member 'arr_0' is corrupted")


def test_refuses_impossible_member_sizes_before_reading(tmp_path):
    path = tmp_path / "c"
    save({"w": np.ones(4)}, path)
    raw = bytearray(path.read_bytes())
    entry = raw.rindex(b"PK\x01\x02")            # central directory entry of arr_0
    raw[entry + 20:entry + 28] = (0x7FFFFFF0).to_bytes(4, "little") * 2   # sizes: 2 GB
    refused(damaged(tmp_path, bytes(raw)), "member 'arr_0' is corrupted", "impossible")


def test_refuses_a_bad_structure(tmp_path):
    for root in ({"set": [1]}, {"dict": [[1.5, 2]]}, {"array": {"member": 3}},
                 {"dict": [["a", {"list": 5}]]}, [1, 2]):
        path = damaged(tmp_path, _zip_bytes({"__minitorch__.npy": _header(root)}))
        refused(path, "corrupted structure")


def test_refuses_object_arrays_and_lying_headers(tmp_path):
    record = _header({"array": {"member": "arr_0", "dtype": "<f8", "shape": [2], "crc32": 0}})
    pickled = io.BytesIO()
    np.lib.format.write_array(pickled, np.array([None, print], dtype=object), allow_pickle=True)
    path = damaged(tmp_path, _zip_bytes({"__minitorch__.npy": record, "arr_0.npy": pickled.getvalue()}))
    refused(path, "member 'arr_0' is corrupted")  # object dtype: the pickle is never read
    huge = io.BytesIO()                            # a header claiming 8 TB over 16 bytes of data
    np.lib.format.write_array_header_1_0(huge, {"descr": "<f8", "fortran_order": False,
                                                "shape": (10**12,)})
    huge.write(np.ones(2).tobytes())
    path = damaged(tmp_path, _zip_bytes({"__minitorch__.npy": record, "arr_0.npy": huge.getvalue()}))
    refused(path, "member 'arr_0' is corrupted", "shape (1000000000000,)")


# --- property: every damaged file loads equal or raises CheckpointError ----------
def _mutate(raw, data, tmp_path):
    kind = data.draw(st.sampled_from(["truncate", "flip", "flips", "splice", "append",
                                      "drop_member", "swap_members", "rename_member"]))
    event(kind)
    if kind == "truncate":
        return raw[:data.draw(st.integers(0, len(raw) - 1))]
    if kind in ("flip", "flips"):
        out = bytearray(raw)
        for _ in range(1 if kind == "flip" else data.draw(st.integers(2, 20))):
            out[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
        return bytes(out)
    if kind == "splice":
        at = data.draw(st.integers(0, len(raw)))
        patch = data.draw(st.binary(min_size=1, max_size=64))
        return raw[:at] + patch + raw[at + data.draw(st.integers(0, 64)):]
    if kind == "append":
        return raw + data.draw(st.binary(min_size=1, max_size=64))
    contents = members(_write(tmp_path, raw))
    names = sorted(contents)
    if kind == "drop_member":
        del contents[data.draw(st.sampled_from(names))]
    elif kind == "swap_members":
        a, b = data.draw(st.permutations(names))[:2]
        contents[a], contents[b] = contents[b], contents[a]
    else:
        old = data.draw(st.sampled_from(names))
        contents[data.draw(st.sampled_from(["x.npy", "arr_9.npy", "arr_0", "__minitorch__"]))] = \
            contents.pop(old)
    return _zip_bytes(contents)


def _write(tmp_path, raw):
    p = tmp_path / "scratch"
    p.write_bytes(raw)
    return p


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_files_load_equal_or_raise_checkpoint_error(tmp_path, data):
    obj = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([0.5, -1.0]),
           "step": 7, "betas": (0.9, 0.999), "s": np.int16(3), 1: ["x", None, True]}
    path = tmp_path / "ckpt"
    save(obj, path)
    path.write_bytes(_mutate(path.read_bytes(), data, tmp_path))
    try:
        back = load(path)
    except CheckpointError as err:
        assert str(path) in str(err)
        event("refused")
    else:
        assert_same(obj, back)
        event("loaded")


def test_every_single_byte_flip_and_truncation(tmp_path):
    obj = {"w": np.arange(4, dtype=np.float32), 0: (np.int8(-3), "s")}
    path = tmp_path / "ckpt"
    save(obj, path)
    raw = path.read_bytes()
    loaded = 0
    for i in range(len(raw)):
        for damaged_raw in (raw[:i], raw[:i] + bytes([raw[i] ^ (1 + i * 37 % 255)]) + raw[i + 1:]):
            path.write_bytes(damaged_raw)
            try:
                back = load(path)
            except CheckpointError:
                continue
            assert_same(obj, back)
            loaded += 1
    assert 0 < loaded < len(raw) // 2             # flips in timestamps etc. are harmless


@SETTINGS
@given(raw=st.binary(max_size=600))
def test_random_bytes_raise_checkpoint_error(tmp_path, raw):
    with pytest.raises(CheckpointError):
        load(_write(tmp_path, raw))
    with pytest.raises(CheckpointError):
        load(_write(tmp_path, b"PK\x03\x04" + raw))


# --- with the optimizers ---------------------------------------------------------
def test_optimizer_state_dict_round_trip(tmp_path):
    from minitorch import optim
    from minitorch.tensor import Tensor
    params = [Tensor(np.ones((3, 2)), requires_grad=True), Tensor(np.zeros(2), requires_grad=True)]
    opt = optim.Adam(params, lr=0.01)
    for p in params:
        p.grad = np.full(p.shape, 0.5)
    opt.step()
    sd = opt.state_dict()
    save(sd, tmp_path / "opt")
    back = load(tmp_path / "opt")
    assert_same(sd, back)
    opt2 = optim.Adam([Tensor(np.ones((3, 2)), requires_grad=True),
                       Tensor(np.zeros(2), requires_grad=True)], lr=0.5)
    opt2.load_state_dict(back)
    assert opt2.param_groups[0]["lr"] == 0.01


def test_module_reference_is_documented():
    assert serialization.__all__ == ["save", "load", "CheckpointError", "FORMAT_VERSION"]
    assert "format_version" in serialization.__doc__
