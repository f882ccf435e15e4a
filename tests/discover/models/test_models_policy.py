"""The globals policy (data/models/pickle_globals.yaml), table-driven."""

from __future__ import annotations

import pytest

from aiposture.discover.models.policy import Verdict, default_policy

TABLE = [
    ("collections", "OrderedDict", Verdict.SAFE),
    ("torch._utils", "_rebuild_tensor_v2", Verdict.SAFE),
    ("numpy.core.multiarray", "_reconstruct", Verdict.SAFE),
    ("numpy._core.multiarray", "_reconstruct", Verdict.SAFE),
    ("__builtin__", "set", Verdict.SAFE),
    ("copy_reg", "_reconstructor", Verdict.SAFE),
    ("torch.nn.modules.linear", "Linear", Verdict.SAFE),
    ("sklearn.linear_model._base", "LinearRegression", Verdict.SAFE),
    ("os", "system", Verdict.UNSAFE),
    ("posix", "system", Verdict.UNSAFE),
    ("nt", "system", Verdict.UNSAFE),
    ("subprocess", "Popen", Verdict.UNSAFE),
    ("builtins", "eval", Verdict.UNSAFE),
    ("__builtin__", "exec", Verdict.UNSAFE),
    ("builtins", "getattr", Verdict.UNSAFE),
    ("builtins", "__import__", Verdict.UNSAFE),
    ("builtins", "open", Verdict.UNSAFE),
    ("__builtin__", "apply", Verdict.UNSAFE),
    ("importlib", "import_module", Verdict.UNSAFE),
    ("runpy", "_run_code", Verdict.UNSAFE),
    ("webbrowser", "open", Verdict.UNSAFE),
    ("socket", "socket", Verdict.UNSAFE),
    ("shutil", "rmtree", Verdict.UNSAFE),
    ("pty", "spawn", Verdict.UNSAFE),
    ("ctypes", "CDLL", Verdict.UNSAFE),
    ("pip", "main", Verdict.UNSAFE),
    ("pip._internal.cli.main", "main", Verdict.UNSAFE),
    ("asyncio.unix_events", "_UnixSubprocessTransport", Verdict.UNSAFE),
    ("numpy.testing._private.utils", "runstring", Verdict.UNSAFE),
    ("numpy", "__builtins__", Verdict.UNSAFE),
    ("numpy", "core._internal.sys.modules", Verdict.UNSAFE),
    ("numpy", "prod.os.system", Verdict.UNSAFE),
    ("torch.hub", "load", Verdict.UNSAFE),
    ("functools", "partial", Verdict.UNSAFE),
    ("operator", "attrgetter", Verdict.UNSAFE),
    ("operator", "methodcaller", Verdict.UNSAFE),
    ("code", "interact", Verdict.UNSAFE),
    ("marshal", "loads", Verdict.UNSAFE),
    ("types", "FunctionType", Verdict.UNSAFE),
    ("commands", "getoutput", Verdict.UNSAFE),
    ("builtins", "print.__class__.__base__.__subclasses__", Verdict.UNSAFE),
    ("transformers.models.auto.auto_factory", "getattribute_from_module", Verdict.UNSAFE),
    ("mycompany.models", "Net", Verdict.SUSPICIOUS),
    ("osgeo", "gdal", Verdict.SUSPICIOUS),
    ("numpy", "size", Verdict.SUSPICIOUS),
    ("__main__", "MyModel", Verdict.SUSPICIOUS),
]


@pytest.mark.parametrize(("module", "name", "verdict"), TABLE, ids=[f"{m}.{n}" for m, n, _ in TABLE])
def test_classify(module: str, name: str, verdict: Verdict) -> None:
    result = default_policy().classify(module, name)
    assert result.verdict == verdict, result.reason
    assert result.reason
