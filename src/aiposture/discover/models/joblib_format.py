"""joblib files: a pickle whose `NumpyArrayWrapper` objects are followed, right after
their BUILD, by the raw array bytes (or, for object arrays, by a nested pickle).
The pickle reader calls `after_wrapper_build` there so that it can step over the
array data and go on reading opcodes, as joblib's own unpickler does."""

from __future__ import annotations

import math
import re
from typing import Any

from aiposture.discover.models.pickle_scan import Call, GlobalRef, Malformed, PickleMachine

_DTYPE_STR = re.compile(r"^[<>|=]?([a-zA-Z?])(\d*)")
_ITEM_SCALE = {"U": 4}


def dtype_info(dtype: Any) -> tuple[int, bool]:
    """(itemsize, has objects) of a numpy dtype as the pickle reader tracked it:
    Call(numpy.dtype, ('f8', False, True)) with BUILD state (3, '<', ..., elsize, ...)."""
    if not (isinstance(dtype, Call) and isinstance(dtype.func, GlobalRef) and dtype.func.name == "dtype"):
        raise Malformed("joblib array without a recognisable dtype")
    args = dtype.args if isinstance(dtype.args, tuple) else ()
    text = args[0] if args and isinstance(args[0], str) else None
    state = dtype.state if isinstance(dtype.state, tuple) else ()
    if text is None:
        raise Malformed("joblib array dtype has no type string")
    m = _DTYPE_STR.match(text)
    if m is None:
        raise Malformed(f"joblib array dtype {text!r} not understood")
    kind, digits = m.group(1), m.group(2)
    fields = state[4] if len(state) > 4 else None
    if kind == "O" or _fields_have_objects(fields):
        return 0, True
    if len(state) > 5 and isinstance(state[5], int) and state[5] > 0:
        return state[5], False
    if kind == "?":
        return 1, False
    if not digits:
        raise Malformed(f"joblib array dtype {text!r} has no size")
    return int(digits) * _ITEM_SCALE.get(kind, 1), False


def _fields_have_objects(fields: Any) -> bool:
    if not isinstance(fields, dict):
        return False
    for value in fields.values():
        sub = value[0] if isinstance(value, tuple) and value else None
        if sub is not None:
            try:
                if dtype_info(sub)[1]:
                    return True
            except Malformed:
                return True
    return False


def after_wrapper_build(m: PickleMachine, wrapper: Call, offset: int) -> None:
    state = wrapper.state
    if not isinstance(state, dict):
        raise Malformed("joblib array wrapper without a state dict")
    shape = state.get("shape")
    if not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise Malformed("joblib array wrapper without a usable shape")
    itemsize, has_objects = dtype_info(state.get("dtype"))
    r = m.r
    if has_objects:
        m._event("joblib", offset, detail="object array stored as a nested pickle")
        child = PickleMachine(
            r, limits=m.limits, depth=m.depth + 1, exact=m.exact, result=m.result, on_embedded=m.on_embedded
        )
        child.scan_stream(first_only=True)
        return
    if state.get("numpy_array_alignment_bytes") is not None:
        pad = r.read(1)
        if not pad:
            raise Malformed("truncated joblib array padding")
        r.skip(pad[0])
    nbytes = math.prod(shape) * itemsize
    if r.skip(nbytes) < nbytes:
        raise Malformed("truncated joblib array data")
