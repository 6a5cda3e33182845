"""The RAN catalog: load, check and index it as ts/host/catalog.ts does, and the
tables the engine needs from it (KPI programs, validator tables).

check_catalog() reports every problem with its JSON path, with the same
rules and messages as the TypeScript checkCatalog(); KPI formulas are checked
and compiled by the engine's C++ compiler (engine/include/elex/ran/formula.h)."""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass

import numpy as np

import _elex_core as _core

from .errors import ElexError

_CODE = re.compile(r"[A-Z]{2,5} ?\d{2,4} ?\d{2,5}(/\d+)?\Z", re.ASCII)
_PARAM_NAME = re.compile(r"[A-Za-z][\w-]*\.[A-Za-z][\w-]*\Z", re.ASCII)
# White space at a name's start or end: JavaScript's \s, as checkCatalog() reads it.
_WS = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_PADDED = re.compile(f"\\A[{_WS}]|[{_WS}]\\Z")
_MAX_PROBLEMS = 50
_KINDS = {"float": 0, "int": 1, "enum": 2, "bool": 3, "string": 4}


def _js_len(s: str) -> int:
    """Length in UTF-16 code units, as JavaScript counts it (a lone surrogate, which
    JSON.parse() takes, is one)."""
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _utf8(s: str) -> str:
    """``s`` as the browser hands it to the engine (TextEncoder): a lone surrogate
    becomes U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", s)


def _not_json(token: str):
    raise ValueError(f"{token} is not JSON (JSON has no NaN or Infinity)")


def _object(pairs) -> dict:
    """A JSON object, refusing a member name it repeats: json.loads() kept the last
    value silently (a hand-merged file lost a whole list); elex-cli and the browser
    refuse the text."""
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f'duplicate member name "{k}"')
        out[k] = v
    return out


def _names(x, what: str):
    """``x`` (cells, counters or kpis) unless it is one string, which list()
    would take apart into its characters."""
    if isinstance(x, (str, bytes)):
        raise ElexError("INVALID_ARGUMENT", f"{what} must be a list of names, not a string ({x!r}): [{x!r}] for one")
    if x is None and what == "kpis":  # the default: every KPI the counters make
        return x
    try:
        iter(x)
    except TypeError:
        raise ElexError("INVALID_ARGUMENT", f"{what} must be a list of names, got {x!r}") from None
    return x


def _is_num(v) -> bool:
    """A JSON number: an int or float, or a numpy integer or floating scalar (a
    catalog built from pandas rows holds them); never a bool."""
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _finite(v) -> bool:
    """math.isfinite() of a number, False for an int too large for a double (JSON.parse()
    reads one as Infinity; math.isfinite() raises OverflowError)."""
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


def check_catalog(data) -> list[dict]:
    """The problems of a catalog (parsed JSON), each {"path", "message"}; empty when valid."""
    problems: list[dict] = []

    def bad(path, message):
        if len(problems) < _MAX_PROBLEMS:
            problems.append({"path": path, "message": message})

    _check_into(data, bad)
    return problems


def _check_into(d, bad):
    if not isinstance(d, dict):
        return bad("$", 'a catalog is a JSON object with a "features" array')
    if "format" in d and d["format"] != "elex-catalog":
        bad("$.format", 'must be "elex-catalog"')
    if "version" in d and not (_is_num(d["version"]) and d["version"] == 1):
        bad("$.version", "this build reads version 1")

    def string(v, path, required=False, present=True):
        if not present:
            if required:
                bad(path, "is required")
            return
        if not isinstance(v, str) or len(v) == 0 or _js_len(v) > 4096:
            bad(path, "must be a non-empty string (at most 4096 characters)")

    def str_list(o, key, path, names=False):
        if key not in o:
            return
        v = o[key]
        if not isinstance(v, list):
            return bad(path, "must be an array of strings")
        for i, x in enumerate(v):
            string(x, f"{path}[{i}]", True)
            if names:
                padded(x, f"{path}[{i}]")

    def padded(v, path):
        # A name is matched as written: "X " would be another item than "X" (a bare one, silently).
        if isinstance(v, str) and len(v) > 0 and _js_len(v) <= 4096 and _PADDED.search(v):
            bad(path, "must not start or end with a space: names are matched as written")

    def num(o, key, path):
        if key in o and not (_is_num(o[key]) and _finite(o[key])):
            bad(path, "must be a finite number")

    string(d.get("name"), "$.name", present="name" in d)
    if "seed" in d and not (_is_num(d["seed"]) and _finite(d["seed"]) and float(d["seed"]).is_integer()):
        bad("$.seed", "must be an integer")
    feats = d.get("features")
    if not isinstance(feats, list) or len(feats) == 0:
        return bad("$.features", "is required: a non-empty array of features")
    codes: set[str] = set()
    spaced: dict[str, int] = {}
    for i, f in enumerate(feats):
        p = f"$.features[{i}]"
        if not isinstance(f, dict):
            bad(p, "must be an object")
            continue
        c = f.get("code")
        if "code" not in f:
            bad(f"{p}.code", 'is required: a feature code such as "FAJ 121 3094"')
        elif not isinstance(c, str) or not _CODE.match(c):
            bad(
                f"{p}.code",
                'must be a feature code such as "FAJ 121 3094": 2 to 5 capitals, '
                'then groups of 2 to 4 and 2 to 5 digits, optionally "/n"',
            )
        elif c in codes:
            bad(f"{p}.code", f'duplicate feature code "{c}"')
        else:
            # A question names "FAJ 121 3094" and "FAJ1213094" alike: one code.
            first = spaced.setdefault(c.replace(" ", ""), i)
            if first != i:
                bad(
                    f"{p}.code",
                    f'duplicate feature code "{c}": $.features[{first}] is "{feats[first]["code"]}", '
                    "the same code with other spacing (a question names both alike)",
                )
            codes.add(c)
        for k in ("name", "acronym", "category", "description"):
            string(f.get(k), f"{p}.{k}", present=k in f)
        str_list(f, "dependencies", f"{p}.dependencies")
        for k in ("parameters", "counters", "kpis"):
            str_list(f, k, f"{p}.{k}", names=True)
    for i, f in enumerate(feats):
        if isinstance(f, dict) and isinstance(f.get("dependencies"), list):
            for j, dep in enumerate(f["dependencies"]):
                if isinstance(dep, str) and dep not in codes:
                    bad(f"$.features[{i}].dependencies[{j}]", f'unknown feature code "{dep}"')

    def named(key, extra):
        if key not in d:
            return
        lst = d[key]
        if not isinstance(lst, list):
            return bad(f"$.{key}", "must be an array")
        seen: set[str] = set()
        for i, o in enumerate(lst):
            p = f"$.{key}[{i}]"
            if not isinstance(o, dict):
                bad(p, "must be an object")
                continue
            string(o.get("name"), f"{p}.name", True, "name" in o)
            if key != "parameters":  # a parameter's name has its pattern
                padded(o.get("name"), f"{p}.name")
            if isinstance(o.get("name"), str):
                if o["name"] in seen:
                    bad(f"{p}.name", f'duplicate name "{o["name"]}"')
                seen.add(o["name"])
            str_list(o, "features", f"{p}.features")
            if isinstance(o.get("features"), list):
                for j, c in enumerate(o["features"]):
                    if isinstance(c, str) and c not in codes:
                        bad(f"{p}.features[{j}]", f'unknown feature code "{c}"')
            string(o.get("unit"), f"{p}.unit", present="unit" in o)
            string(o.get("description"), f"{p}.description", present="description" in o)
            extra(o, p)

    def parameter(o, p):
        if isinstance(o.get("name"), str) and not _PARAM_NAME.match(o["name"]):
            bad(f"{p}.name", 'a parameter name is "MOClass.attribute"')
        if "type" in o and o["type"] not in ("int", "float", "bool", "enum", "string"):
            bad(f"{p}.type", "must be int, float, bool, enum or string")
        if "range" in o:
            r = o["range"]
            if not (isinstance(r, list) and len(r) == 2 and all(_is_num(x) and _finite(x) for x in r)):
                bad(f"{p}.range", "must be [min, max]: an array of two finite numbers")
            elif r[0] > r[1]:
                bad(f"{p}.range", "must be [min, max] with min <= max")
        str_list(o, "values", f"{p}.values")
        if "default" in o:
            dv = o["default"]
            if not (isinstance(dv, (bool, str)) or (_is_num(dv) and _finite(dv))):
                bad(f"{p}.default", "must be a number, boolean or string")
        if "safe" in o:
            s = o["safe"]
            if not isinstance(s, dict):
                bad(f"{p}.safe", "must be an object")
            else:
                for k in ("min", "max", "maxChange", "cooldownS"):
                    num(s, k, f"{p}.safe.{k}")
                if _is_num(s.get("min")) and _is_num(s.get("max")) and s["min"] > s["max"]:
                    bad(f"{p}.safe", "min must be <= max")
                if _is_num(s.get("maxChange")) and s["maxChange"] < 0:
                    bad(f"{p}.safe.maxChange", "must be >= 0")
                if _is_num(s.get("cooldownS")) and s["cooldownS"] < 0:
                    bad(f"{p}.safe.cooldownS", "must be >= 0")

    named("parameters", parameter)
    named("counters", lambda o, p: None)
    if "glossary" in d:
        g = d["glossary"]
        if not isinstance(g, list):
            bad("$.glossary", "must be an array of { term, means }")
        elif len(g) > 65536:
            bad("$.glossary", "holds at most 65,536 entries")
        else:
            for i, e in enumerate(g):
                p = f"$.glossary[{i}]"
                if not isinstance(e, dict):
                    bad(p, "must be an object { term, means }")
                    continue
                for k in ("term", "means"):
                    v = e.get(k)
                    if not isinstance(v, str) or len(v) == 0 or _js_len(v) > 256:
                        bad(f"{p}.{k}", "must be a string of 1 to 256 characters")

    # The catalog's counters: monitor() takes no other in a batch, so a formula
    # over another could never be computed.
    counter_names = set()
    if isinstance(d.get("counters"), list):
        counter_names.update(o["name"] for o in d["counters"] if isinstance(o, dict) and isinstance(o.get("name"), str))
    for f in feats:
        if isinstance(f, dict) and isinstance(f.get("counters"), list):
            counter_names.update(n for n in f["counters"] if isinstance(n, str))

    def kpi(o, p):
        string(o.get("formula"), f"{p}.formula", present="formula" in o)
        fm = o.get("formula")
        if isinstance(fm, str) and 0 < len(fm) and _js_len(fm) <= 4096:
            try:
                steps = _core.parse_formula(_utf8(fm))
            except ElexError as e:
                bad(f"{p}.formula", e.message.split(": ", 1)[-1])
            else:
                unknown = next((v for k, v in steps if k == "counter" and v not in counter_names), None)
                if unknown is not None:
                    bad(
                        f"{p}.formula",
                        f'counter "{unknown}" is not in the catalog: '
                        "define it under counters or list it in a feature's counters",
                    )
        num(o, "threshold", f"{p}.threshold")
        if "direction" in o and o["direction"] not in ("higher", "lower"):
            bad(f"{p}.direction", 'must be "higher" or "lower"')

    named("kpis", kpi)


@dataclass(frozen=True)
class KpiPrograms:
    """KPI formulas compiled over a batch's counters (monitor.h programs)."""

    names: tuple
    ops: np.ndarray  # int32
    offsets: np.ndarray  # uint32, len(names) + 1
    consts: np.ndarray  # float32
    thresholds: np.ndarray  # float32 (NaN: none)
    directions: np.ndarray  # int8 (+1 higher is better, -1 lower, 0 none)


class Catalog:
    """A checked catalog with every cross-reference resolved (see load_catalog)."""

    def __init__(self, data: dict):
        self.data = data
        self.features = {f["code"]: f for f in data["features"]}

        def copy(lst):
            return {o["name"]: {**o, "features": list(o.get("features", []))} for o in lst}

        self.parameters = copy(data.get("parameters", []))
        self.counters = copy(data.get("counters", []))
        self.kpis = copy(data.get("kpis", []))
        for f in data["features"]:
            for m, key in ((self.parameters, "parameters"), (self.counters, "counters"), (self.kpis, "kpis")):
                for name in f.get(key, []):
                    item = m.setdefault(name, {"name": name, "features": []})
                    if f["code"] not in item["features"]:
                        item["features"].append(f["code"])
        self._programs: dict = {}
        self._tables = None
        self._index = None

    @property
    def stats(self) -> dict:
        cats = {f.get("category", "Uncategorised") for f in self.data["features"]}
        return {
            "features": len(self.features),
            "parameters": len(self.parameters),
            "counters": len(self.counters),
            "kpis": len(self.kpis),
            "categories": len(cats),
        }

    # ---------------------------------------------------------------- KPIs

    def kpi_programs(self, counters, kpis=None) -> KpiPrograms:
        """Programs of ``kpis`` (default: every KPI with a formula whose counters are
        all in ``counters``), as the browser's monitor compiles them: same order,
        same ops, same float32 constants. Named KPIs must exist (NOT_FOUND), have a
        formula and have their counters in the batch (INVALID_ARGUMENT)."""
        counters = list(_names(counters, "counters"))
        if kpis is not None:
            kpis = list(_names(kpis, "kpis"))
            # A KPI twice would be computed twice under one name, which no table
            # (kpi_table(), alerts(), elex.dask's frames) can tell apart.
            seen = set()
            twice = next((k for k in kpis if k in seen or seen.add(k)), None)
            if twice is not None:
                raise ElexError("INVALID_ARGUMENT", f'KPI "{twice}" is named twice in kpis')
        key = ("\x01".join(counters), None if kpis is None else "\x01".join(kpis))
        hit = self._programs.get(key)
        if hit is not None:
            return hit
        wanted = list(self.kpis.keys()) if kpis is None else list(kpis)
        formulas, names = [], []
        for name in wanted:
            k = self.kpis.get(name)
            if k is None:
                raise ElexError("NOT_FOUND", f'unknown KPI "{name}"')
            if not k.get("formula"):
                if kpis is not None:
                    raise ElexError("INVALID_ARGUMENT", f'KPI "{name}" has no formula in the catalog')
                continue
            formulas.append(k["formula"])
            names.append(name)
        ops, offsets, consts, compiled = _core.compile_kpis(formulas, counters)
        kept = [n for n, ok in zip(names, compiled) if ok]
        if kpis is not None and len(kept) != len(names):
            missing = next(n for n, ok in zip(names, compiled) if not ok)
            raise ElexError("INVALID_ARGUMENT", f'KPI "{missing}" needs counters that are not in the batch')
        thr = np.array([self.kpis[n].get("threshold", math.nan) for n in kept], dtype=np.float32)
        dirs = np.array(
            [
                0 if "threshold" not in self.kpis[n] else (-1 if self.kpis[n].get("direction") == "lower" else 1)
                for n in kept
            ],
            dtype=np.int8,
        )
        prog = KpiPrograms(tuple(kept), ops, offsets, consts, thr, dirs)
        if len(self._programs) > 32:
            self._programs.clear()
        self._programs[key] = prog
        return prog

    # ----------------------------------------------------------- validation

    def validator_tables(self):
        """(kinds uint8, bounds float64 5 × count, cooldown_ms float64) as ts/host/ran-ops.ts builds them."""
        if self._tables is None:
            ps = list(self.parameters.values())
            n = len(ps)
            kinds = np.zeros(n, np.uint8)
            b = np.full(5 * n, np.nan, np.float64)
            cool = np.full(n, np.nan, np.float64)
            for i, p in enumerate(ps):
                # As ts/host/ran-ops.ts: any values list, even an empty one, makes an enum.
                t = p.get("type") or ("enum" if p.get("values") is not None else "float")
                kinds[i] = _KINDS[t]
                if p.get("range"):
                    b[i], b[n + i] = p["range"][0], p["range"][1]
                safe = p.get("safe") or {}
                if safe.get("min") is not None:
                    b[2 * n + i] = safe["min"]
                if safe.get("max") is not None:
                    b[3 * n + i] = safe["max"]
                if safe.get("maxChange") is not None:
                    b[4 * n + i] = safe["maxChange"]
                if safe.get("cooldownS") is not None:
                    cool[i] = safe["cooldownS"] * 1000
            self._tables = (kinds, b, cool)
        return self._tables

    def parameter_indexes(self, names) -> np.ndarray:
        """Catalog indexes of parameter names for validate_batch (-1: not in the catalog);
        one name (a str) gives one index."""
        if self._index is None:
            self._index = {name: i for i, name in enumerate(self.parameters)}
        if isinstance(names, str):
            names = [names]
        names = _names(names, "names")
        return np.array([self._index.get(n, -1) for n in names], dtype=np.int32)


def load_catalog(source, name: str = "catalog") -> Catalog:
    """A Catalog from parsed JSON, JSON text, or a path to a JSON file. Raises
    ElexError INVALID_ARGUMENT listing the problems (also in ``.problems``), or
    NOT_FOUND for a file that cannot be read."""
    # A UTF-8 byte order mark (Windows editors write one) is not part of the
    # JSON: the browser's fetch() and elex-cli skip it too.
    if isinstance(source, str) and source.startswith("\ufeff"):
        source = source[1:]
    if isinstance(source, (str, os.PathLike)) and not str(source).lstrip().startswith("{"):
        name = str(source)
        try:
            with open(source, "rb") as fh:
                raw = fh.read()
        except OSError as e:  # as elex-cli says it: "NOT_FOUND: cannot read PATH: REASON"
            raise ElexError("NOT_FOUND", f"cannot read {name}: {e.strerror or e}") from None
        # UTF-16 ("Unicode" in Windows editors) starts with FF FE or FE FF, bytes
        # that never begin UTF-8: said for what it is, as elex-cli says it.
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            mark = " ".join(f"{b:02X}" for b in raw[:2])
            raise ElexError(
                "INVALID_ARGUMENT",
                f"{name}: UTF-16 text (a byte order mark {mark}); ELEX reads UTF-8 (iconv -f UTF-16 -t UTF-8 converts it)",
            )
        try:
            source = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ElexError("INVALID_ARGUMENT", f"{name} is not UTF-8 JSON: invalid UTF-8 at byte {e.start}") from None
        if source.startswith("\ufeff"):
            source = source[1:]
    if isinstance(source, str):
        try:
            # As JSON.parse() reads it: NaN, Infinity and -Infinity are not JSON.
            source = json.loads(source, parse_constant=_not_json, object_pairs_hook=_object)
        except ValueError as e:  # json.JSONDecodeError is one
            raise ElexError("INVALID_ARGUMENT", f"{name} is not JSON: {e}") from None
        except RecursionError:
            raise ElexError("INVALID_ARGUMENT", f"{name}: JSON nested too deeply to read") from None
    problems = check_catalog(source)
    if problems:
        more = f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        listed = "; ".join(f"{p['path']}: {p['message']}" for p in problems[:10])
        raise ElexError("INVALID_ARGUMENT", f"{name} is not a valid ELEX catalog: {listed}{more}", problems)
    return Catalog(source)
