"""What each opcode that matters does to the symbolic machine: strings and bytes
(nested pickles), numbers, memo, globals, calls, BUILD (joblib arrays, monkey-patching)
and the small containers whose values are tracked."""

from __future__ import annotations

import codecs
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiposture.discover.models.pickle_opcodes import (
    LEGACY_START,
    LONGSTR,
    MARK,
    MAX_PROTOCOL,
    OPAQUE,
    OTHER,
    PICKLE_MARKERS,
    RUN,
    SHORT_BYTES,
    STR_LIMIT,
    Call,
    GlobalRef,
    Malformed,
    NeedExact,
    Payload,
    PickleResult,
    Sentinel,
    Stop,
    decode_utf8,
)
from aiposture.discover.models.stream import ByteReader

if TYPE_CHECKING:
    from aiposture.discover.models.pickle_scan import PickleMachine


def _h_string_payload(m: PickleMachine, payload: Payload, offset: int, name: str, text: bool) -> None:
    data = m._payload_bytes(payload, name, STR_LIMIT if text else SHORT_BYTES)
    if data is not None:
        if text:
            m.stack.append(decode_utf8(data))
        else:
            m.stack.append(data)
            _maybe_nested_small(m, data, payload.offset)
        return
    if text:
        m.r.skip(payload.length)
        m.stack.append(LONGSTR)
        return
    _bytes_payload(m, payload)
    m.stack.append(OTHER)


def _bytes_payload(m: PickleMachine, payload: Payload) -> None:
    """A large bytes payload: scan it when it starts like a pickle (or an archive the
    caller knows), skip it otherwise."""
    r = m.r
    head = r.peek(min(payload.length, 4))
    if len(head) >= 2 and head[:2] in PICKLE_MARKERS:
        m.scan_nested(payload.length, payload.offset)
        return
    if head == b"PK\x03\x04" and m.on_embedded is not None:
        m.on_embedded("zip", r, payload.length, payload.offset, m.depth + 1)
        return
    if r.skip(payload.length) < payload.length:
        raise Malformed("truncated bytes payload")


def _maybe_nested_small(m: PickleMachine, data: bytes, offset: int) -> None:
    if len(data) < 2:
        return
    if data[:2] in PICKLE_MARKERS or (data[-1:] == b"." and data[0] in LEGACY_START and b"\n" in data):
        import io

        child_result = PickleResult()
        if m.depth + 1 > m.limits.max_depth:
            m._event("limit", offset, detail=f"nested pickle deeper than {m.limits.max_depth}")
            return
        child = type(m)(
            ByteReader(io.BytesIO(data), offset=offset),
            limits=m.limits,
            depth=m.depth + 1,
            exact=True,
            result=child_result,
            on_embedded=m.on_embedded,
            joblib=False,
        )
        child.scan_stream()
        m._merge_nested(child_result, offset)


def _h_unicode(m: PickleMachine, arg: Any, offset: int) -> None:
    _h_string_payload(m, arg, offset, "BINUNICODE", True)


def _h_bytes(m: PickleMachine, arg: Any, offset: int) -> None:
    _h_string_payload(m, arg, offset, "BINBYTES", False)


def _h_binstring(m: PickleMachine, arg: Any, offset: int) -> None:
    # py2 `str`: decoded as ASCII by default, bytes with encoding='bytes'
    data = m._payload_bytes(arg, "BINSTRING", STR_LIMIT)
    if data is None:
        _bytes_payload(m, arg)
        m.stack.append(OTHER)
        return
    _maybe_nested_small(m, data, arg.offset)
    m.stack.append(data.decode("latin-1"))


def _h_text_unicode(m: PickleMachine, arg: bytes, offset: int) -> None:
    try:
        m.stack.append(arg.decode("raw-unicode-escape"))
    except UnicodeDecodeError:
        raise Malformed("invalid UNICODE argument") from None


def _h_text_string(m: PickleMachine, arg: bytes, offset: int) -> None:
    if len(arg) >= 2 and arg[:1] == arg[-1:] and arg[:1] in (b"'", b'"'):
        arg = arg[1:-1]
    else:
        raise Malformed("STRING argument is not quoted")
    try:
        data = codecs.escape_decode(arg)[0]
    except ValueError:
        raise Malformed("invalid STRING escape") from None
    _maybe_nested_small(m, data, offset)
    m.stack.append(data.decode("latin-1"))


def _h_int_text(m: PickleMachine, arg: bytes, offset: int) -> None:
    text = arg.rstrip(b"L")
    if text in (b"00", b"01"):
        m.stack.append(text == b"01")
        return
    try:
        m.stack.append(int(text))
    except ValueError:
        raise Malformed("invalid INT/LONG argument") from None


def _h_float_text(m: PickleMachine, arg: bytes, offset: int) -> None:
    try:
        m.stack.append(float(arg))
    except ValueError:
        raise Malformed("invalid FLOAT argument") from None


def _h_binint(m: PickleMachine, arg: bytes, offset: int) -> None:
    m.stack.append(int.from_bytes(arg, "little", signed=len(arg) == 4))


def _h_binfloat(m: PickleMachine, arg: bytes, offset: int) -> None:
    m.stack.append(struct.unpack(">d", arg)[0])


def _h_long_payload(m: PickleMachine, arg: Payload, offset: int) -> None:
    data = m._payload_bytes(arg, "LONG", 64)
    if data is None:
        if m.r.skip(arg.length) < arg.length:
            raise Malformed("truncated LONG")
        m.stack.append(OTHER)
        return
    m.stack.append(int.from_bytes(data, "little", signed=True))


def _h_const(value: Any) -> Callable[[PickleMachine, Any, int], None]:
    def handler(m: PickleMachine, arg: Any, offset: int) -> None:
        m.stack.append(value)

    return handler


def _h_proto(m: PickleMachine, arg: bytes, offset: int) -> None:
    proto = arg[0]
    if proto > MAX_PROTOCOL:
        raise Malformed(f"unsupported pickle protocol {proto}")
    m.proto = proto
    if m.result.protocol is None:
        m.result.protocol = proto


def _h_frame(m: PickleMachine, arg: bytes, offset: int) -> None:
    return None


def _h_stop(m: PickleMachine, arg: Any, offset: int) -> None:
    m._pop()
    m.result.ops += m.ops
    raise Stop


def _split_text_global(arg: tuple[bytes, bytes], opname: str) -> tuple[str, str]:
    try:
        return arg[0].decode("utf-8"), arg[1].decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed(f"{opname} names are not UTF-8") from None


def _h_global(m: PickleMachine, arg: tuple[bytes, bytes], offset: int) -> None:
    module, name = _split_text_global(arg, "GLOBAL")
    m.stack.append(m.record_global(module, name, offset, "GLOBAL"))


def _h_inst(m: PickleMachine, arg: tuple[bytes, bytes], offset: int) -> None:
    module, name = _split_text_global(arg, "INST")
    ref = m.record_global(module, name, offset, "INST")
    args = m._pop_mark()
    m.mark_called(ref)
    m.stack.append(Call(ref, tuple(args)))


def _h_stack_global(m: PickleMachine, arg: Any, offset: int) -> None:
    name = m._pop()
    module = m._pop()
    if type(module) is str and type(name) is str:
        m.operand_strings.add(module)
        m.operand_strings.add(name)
        m.stack.append(m.record_global(module, name, offset, "STACK_GLOBAL"))
        return
    if not m.exact and (module is RUN or name is RUN or module is OPAQUE or name is OPAQUE):
        raise NeedExact
    detail = f"operands are {_describe(module)} and {_describe(name)}"
    m._event("dynamic_global", offset, module=_label(module), name=_label(name), detail=detail)
    m.stack.append(OTHER)


def _describe(value: Any) -> str:
    if type(value) is str:
        return f"the string {value!r}"
    if isinstance(value, GlobalRef):
        return f"the object {value.module}.{value.name}"
    if isinstance(value, Call):
        return f"the result of calling {_label(value.func)}"
    if isinstance(value, Sentinel):
        return f"a {value.label}"
    return f"a {type(value).__name__}"


def _label(value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, GlobalRef):
        return f"{value.module}.{value.name}"
    return "?"


def _h_reduce(m: PickleMachine, arg: Any, offset: int) -> None:
    args = m._pop()
    func = m._pop()
    m.mark_called(func)
    m.stack.append(Call(func, args))


def _h_newobj(m: PickleMachine, arg: Any, offset: int) -> None:
    args = m._pop()
    cls = m._pop()
    m.mark_called(cls)
    m.stack.append(Call(cls, args))


def _h_newobj_ex(m: PickleMachine, arg: Any, offset: int) -> None:
    m._pop()
    args = m._pop()
    cls = m._pop()
    m.mark_called(cls)
    m.stack.append(Call(cls, args))


def _h_obj(m: PickleMachine, arg: Any, offset: int) -> None:
    items = m._pop_mark()
    if not items:
        raise Malformed("OBJ without a class")
    m.mark_called(items[0])
    m.stack.append(Call(items[0], tuple(items[1:])))


def _h_build(m: PickleMachine, arg: Any, offset: int) -> None:
    state = m._pop()
    target = m.stack[-1] if m.stack else m._underflow()
    if isinstance(target, GlobalRef):
        m._event(
            "build_on_global",
            offset,
            module=target.module,
            name=target.name,
            detail="BUILD sets attributes on an imported object (monkey-patching)",
        )
    elif isinstance(target, Call):
        target.state = state
        if m.joblib and _is_joblib_wrapper(target.func):
            from aiposture.discover.models.joblib_format import after_wrapper_build

            after_wrapper_build(m, target, offset)


def _is_joblib_wrapper(func: Any) -> bool:
    return (
        isinstance(func, GlobalRef) and func.name == "NumpyArrayWrapper" and func.module.endswith("joblib.numpy_pickle")
    )


def _h_ext(m: PickleMachine, arg: bytes, offset: int) -> None:
    code = int.from_bytes(arg, "little")
    m._event("ext", offset, detail=f"extension registry code {code}")
    m.stack.append(OTHER)


def _h_get_text(m: PickleMachine, arg: bytes, offset: int) -> None:
    try:
        key = int(arg)
    except ValueError:
        raise Malformed("invalid GET argument") from None
    m.stack.append(m._memo_get(key))


def _h_long_binget(m: PickleMachine, arg: bytes, offset: int) -> None:
    m.stack.append(m._memo_get(int.from_bytes(arg, "little")))


def _h_put_text(m: PickleMachine, arg: bytes, offset: int) -> None:
    try:
        key = int(arg)
    except ValueError:
        raise Malformed("invalid PUT argument") from None
    m._memo_put(key, m.stack[-1] if m.stack else m._underflow())


def _h_long_binput(m: PickleMachine, arg: bytes, offset: int) -> None:
    m._memo_put(int.from_bytes(arg, "little"), m.stack[-1] if m.stack else m._underflow())


def _h_binget(m: PickleMachine, arg: bytes, offset: int) -> None:  # via the generic path
    m.stack.append(m._memo_get(arg[0]))


def _h_binput(m: PickleMachine, arg: bytes, offset: int) -> None:
    m._memo_put(arg[0], m.stack[-1] if m.stack else m._underflow())


def _h_memoize(m: PickleMachine, arg: Any, offset: int) -> None:
    m._memo_put(m._memo_len(), m.stack[-1] if m.stack else m._underflow())


def _h_mark(m: PickleMachine, arg: Any, offset: int) -> None:
    m.stack.append(MARK)


def _h_dup(m: PickleMachine, arg: Any, offset: int) -> None:
    m.stack.append(m.stack[-1] if m.stack else m._underflow())


def _h_tuple_n(n: int) -> Callable[[PickleMachine, Any, int], None]:
    def handler(m: PickleMachine, arg: Any, offset: int) -> None:
        items = [m._pop() for _ in range(n)]
        items.reverse()
        m.stack.append(tuple(items))

    return handler


def _h_tuple(m: PickleMachine, arg: Any, offset: int) -> None:
    items = m._pop_mark()
    m.stack.append(tuple(items) if len(items) <= 32 else OTHER)


def _h_empty_dict(m: PickleMachine, arg: Any, offset: int) -> None:
    m.stack.append({})


def _h_dict(m: PickleMachine, arg: Any, offset: int) -> None:
    items = m._pop_mark()
    m.stack.append(_small_dict(items))


def _h_setitem(m: PickleMachine, arg: Any, offset: int) -> None:
    value = m._pop()
    key = m._pop()
    target = m.stack[-1] if m.stack else m._underflow()
    if type(target) is dict:
        _dict_add(target, key, value)


def _h_setitems(m: PickleMachine, arg: Any, offset: int) -> None:
    items = m._pop_mark()
    target = m.stack[-1] if m.stack else m._underflow()
    if type(target) is dict:
        for k in range(0, len(items) - 1, 2):
            _dict_add(target, items[k], items[k + 1])


def _small_dict(items: list[Any]) -> Any:
    result: dict[Any, Any] = {}
    for k in range(0, len(items) - 1, 2):
        _dict_add(result, items[k], items[k + 1])
    return result


def _dict_add(target: dict[Any, Any], key: Any, value: Any) -> None:
    if len(target) < 64 and type(key) in (str, int):
        target[key] = value


HANDLERS: dict[str, Callable[[PickleMachine, Any, int], None]] = {
    "SHORT_BINUNICODE": _h_unicode,
    "BINUNICODE": _h_unicode,
    "BINUNICODE8": _h_unicode,
    "SHORT_BINBYTES": _h_bytes,
    "BINBYTES": _h_bytes,
    "BINBYTES8": _h_bytes,
    "BYTEARRAY8": _h_bytes,
    "SHORT_BINSTRING": _h_binstring,
    "BINSTRING": _h_binstring,
    "UNICODE": _h_text_unicode,
    "STRING": _h_text_string,
    "INT": _h_int_text,
    "LONG": _h_int_text,
    "FLOAT": _h_float_text,
    "BININT": _h_binint,
    "BININT1": _h_binint,
    "BININT2": _h_binint,
    "BINFLOAT": _h_binfloat,
    "LONG1": _h_long_payload,
    "LONG4": _h_long_payload,
    "NONE": _h_const(None),
    "NEWTRUE": _h_const(True),
    "NEWFALSE": _h_const(False),
    "EMPTY_TUPLE": _h_const(()),
    "PROTO": _h_proto,
    "FRAME": _h_frame,
    "STOP": _h_stop,
    "GLOBAL": _h_global,
    "INST": _h_inst,
    "STACK_GLOBAL": _h_stack_global,
    "REDUCE": _h_reduce,
    "NEWOBJ": _h_newobj,
    "NEWOBJ_EX": _h_newobj_ex,
    "OBJ": _h_obj,
    "BUILD": _h_build,
    "EXT1": _h_ext,
    "EXT2": _h_ext,
    "EXT4": _h_ext,
    "GET": _h_get_text,
    "BINGET": _h_binget,
    "LONG_BINGET": _h_long_binget,
    "PUT": _h_put_text,
    "BINPUT": _h_binput,
    "LONG_BINPUT": _h_long_binput,
    "MEMOIZE": _h_memoize,
    "MARK": _h_mark,
    "DUP": _h_dup,
    "TUPLE1": _h_tuple_n(1),
    "TUPLE2": _h_tuple_n(2),
    "TUPLE3": _h_tuple_n(3),
    "TUPLE": _h_tuple,
    "EMPTY_DICT": _h_empty_dict,
    "DICT": _h_dict,
    "SETITEM": _h_setitem,
    "SETITEMS": _h_setitems,
}
