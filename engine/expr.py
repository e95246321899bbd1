"""The analysts' expression language: small, typed, and the same for every evaluator.

Syntax is a safe subset of Python expressions, parsed with the standard `ast` module and refused
node by node outside the whitelist:

    children_under_18_or_students >= 4
    per_capita_income_kzt <= max(tsa.median_share * median_income_kzt, tsa.pm_share * pm)
    region in ['KZ-71', 'KZ-75'] and not has_non_mortgage_loan
    round(large_family.coef_4 * mrp)

Names are indicators, parameters (dotted, like `large_family.coef_4`) or a benefit's `let` values.
Numbers are exact decimals; `round(x)` rounds half-up to whole tenge. Every node keeps its column
offset so a type error points into the YAML line where the expression sits.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Literal

Type = Literal["number", "bool", "str"]
Value = Decimal | bool | str


@dataclass(frozen=True)
class Num:
    value: Decimal
    offset: int = 0


@dataclass(frozen=True)
class Str:
    value: str
    offset: int = 0


@dataclass(frozen=True)
class Bool:
    value: bool
    offset: int = 0


@dataclass(frozen=True)
class Name:
    name: str
    offset: int = 0


@dataclass(frozen=True)
class Unary:
    op: Literal["not", "-"]
    operand: Node
    offset: int = 0


@dataclass(frozen=True)
class Bin:
    op: Literal["+", "-", "*", "/"]
    left: Node
    right: Node
    offset: int = 0


@dataclass(frozen=True)
class Cmp:
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    left: Node
    right: Node
    offset: int = 0


@dataclass(frozen=True)
class BoolOp:
    op: Literal["and", "or"]
    items: tuple[Node, ...]
    offset: int = 0


@dataclass(frozen=True)
class Call:
    func: Literal["min", "max", "round", "abs", "floor"]
    args: tuple[Node, ...]
    offset: int = 0


@dataclass(frozen=True)
class IfExp:
    cond: Node
    then: Node
    other: Node
    offset: int = 0


Node = Num | Str | Bool | Name | Unary | Bin | Cmp | BoolOp | Call | IfExp
FUNCTIONS = ("min", "max", "round", "abs", "floor")
FORBIDDEN_WORDS = ("ethnic", "nationality", "national_origin", "religio", "party", "language", "race")


@dataclass(frozen=True)
class ExprError:
    """A problem in one expression, at a column offset within its text."""

    offset: int
    code: str
    message: str
    suggestion: str | None = None


class ParseFailure(Exception):
    """Raised inside the parser; turned into an ExprError."""

    def __init__(self, error: ExprError):
        self.error = error
        super().__init__(error.message)


_CMP = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_BIN = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def parse(text: str) -> Node:
    """Parse an expression; raises ParseFailure with the offending column."""
    if not isinstance(text, str) or not text.strip():
        raise ParseFailure(ExprError(0, "expr-empty", "expected an expression"))
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        offset = max((exc.offset or 1) - 1, 0)
        raise ParseFailure(ExprError(offset, "expr-syntax", f"syntax error: {exc.msg}")) from None
    lead = len(text) - len(text.lstrip())
    return _convert(tree.body, lead)


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _convert(node: ast.expr, lead: int) -> Node:
    off = getattr(node, "col_offset", 0) + lead
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            return Bool(v, off)
        if isinstance(v, int | float):
            return Num(Decimal(str(v)), off)
        if isinstance(v, str):
            return Str(v, off)
        raise ParseFailure(ExprError(off, "expr-literal", f"unsupported literal {v!r}"))
    if isinstance(node, ast.Name | ast.Attribute):
        name = _dotted(node)
        if name is None:
            raise ParseFailure(ExprError(off, "expr-syntax", "unsupported name"))
        if name in ("true", "True"):
            return Bool(True, off)
        if name in ("false", "False"):
            return Bool(False, off)
        return Name(name, off)
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return Unary("not", _convert(node.operand, lead), off)
        if isinstance(node.op, ast.USub):
            inner = _convert(node.operand, lead)
            if isinstance(inner, Num):
                return Num(-inner.value, off)
            return Unary("-", inner, off)
        raise ParseFailure(ExprError(off, "expr-operator", "unsupported unary operator"))
    if isinstance(node, ast.BinOp):
        op = _BIN.get(type(node.op))
        if op is None:
            raise ParseFailure(ExprError(off, "expr-operator", "only + - * / are allowed"))
        return Bin(op, _convert(node.left, lead), _convert(node.right, lead), off)  # type: ignore[arg-type]
    if isinstance(node, ast.BoolOp):
        bop: Literal["and", "or"] = "and" if isinstance(node.op, ast.And) else "or"
        return BoolOp(bop, tuple(_convert(v, lead) for v in node.values), off)
    if isinstance(node, ast.Compare):
        return _compare(node, lead, off)
    if isinstance(node, ast.Call):
        fname = _dotted(node.func)
        if fname not in FUNCTIONS or node.keywords:
            raise ParseFailure(
                ExprError(off, "expr-function", f"unknown function '{fname}' (allowed: {', '.join(FUNCTIONS)})")
            )
        return Call(fname, tuple(_convert(a, lead) for a in node.args), off)  # type: ignore[arg-type]
    if isinstance(node, ast.IfExp):
        return IfExp(_convert(node.test, lead), _convert(node.body, lead), _convert(node.orelse, lead), off)
    raise ParseFailure(ExprError(off, "expr-syntax", f"'{type(node).__name__}' is not allowed in rule expressions"))


def _compare(node: ast.Compare, lead: int, off: int) -> Node:
    parts: list[Node] = []
    left = _convert(node.left, lead)
    for op, right_ast in zip(node.ops, node.comparators, strict=True):
        if isinstance(op, ast.In | ast.NotIn):
            if not isinstance(right_ast, ast.List | ast.Tuple):
                raise ParseFailure(ExprError(off, "expr-in", "'in' needs a literal list: x in ['a', 'b']"))
            options = [_convert(e, lead) for e in right_ast.elts]
            eqs: tuple[Node, ...] = tuple(Cmp("==", left, o, off) for o in options)
            ored: Node = BoolOp("or", eqs, off) if len(eqs) != 1 else eqs[0]
            parts.append(Unary("not", ored, off) if isinstance(op, ast.NotIn) else ored)
            continue
        cop = _CMP.get(type(op))
        if cop is None:
            raise ParseFailure(ExprError(off, "expr-operator", "unsupported comparison"))
        right = _convert(right_ast, lead)
        parts.append(Cmp(cop, left, right, off))  # type: ignore[arg-type]
        left = right
    return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts), off)


# --- type checking -------------------------------------------------------------------------------


def suggest(name: str, known: list[str]) -> str | None:
    """The closest known name, for 'did you mean'."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    return close[0] if close else None


def check(
    node: Node, types: Mapping[str, Type], enums: Mapping[str, tuple[str, ...]] | None = None
) -> tuple[Type | None, list[ExprError]]:
    """The expression's type and every type error in it."""
    errors: list[ExprError] = []
    t = _check(node, types, enums or {}, errors)
    return t, errors


def _check(
    node: Node, types: Mapping[str, Type], enums: Mapping[str, tuple[str, ...]], errors: list[ExprError]
) -> Type | None:
    if isinstance(node, Num):
        return "number"
    if isinstance(node, Str):
        return "str"
    if isinstance(node, Bool):
        return "bool"
    if isinstance(node, Name):
        low = node.name.lower()
        if any(w in low for w in FORBIDDEN_WORDS):
            errors.append(
                ExprError(
                    node.offset,
                    "prohibited-attribute",
                    f"'{node.name}' reads an attribute that must never decide eligibility "
                    "(ethnicity, nationality, religion, party, language)",
                )
            )
            return None
        if node.name not in types:
            errors.append(
                ExprError(
                    node.offset,
                    "unknown-name",
                    f"unknown indicator or parameter '{node.name}'",
                    suggest(node.name, list(types)),
                )
            )
            return None
        return types[node.name]
    if isinstance(node, Unary):
        t = _check(node.operand, types, enums, errors)
        want: Type = "bool" if node.op == "not" else "number"
        if t is not None and t != want:
            errors.append(ExprError(node.offset, "type-mismatch", f"'{node.op}' needs a {want}, got a {t}"))
        return want
    if isinstance(node, Bin):
        for side in (node.left, node.right):
            t = _check(side, types, enums, errors)
            if t is not None and t != "number":
                errors.append(ExprError(side.offset, "type-mismatch", f"'{node.op}' needs numbers, got a {t}"))
        return "number"
    if isinstance(node, Cmp):
        lt = _check(node.left, types, enums, errors)
        rt = _check(node.right, types, enums, errors)
        if lt is not None and rt is not None:
            if lt != rt:
                errors.append(ExprError(node.offset, "type-mismatch", f"cannot compare a {lt} with a {rt}"))
            elif lt != "number" and node.op not in ("==", "!="):
                errors.append(ExprError(node.offset, "type-mismatch", f"'{node.op}' needs numbers, got {lt}s"))
            elif lt == "str":
                _check_enum(node, enums, errors)
        return "bool"
    if isinstance(node, BoolOp):
        for item in node.items:
            t = _check(item, types, enums, errors)
            if t is not None and t != "bool":
                errors.append(ExprError(item.offset, "type-mismatch", f"'{node.op}' needs conditions, got a {t}"))
        return "bool"
    if isinstance(node, Call):
        arity = {"round": 1, "abs": 1, "floor": 1}.get(node.func)
        if (arity and len(node.args) != arity) or (not arity and len(node.args) < 2):
            errors.append(ExprError(node.offset, "arity", f"wrong number of arguments to {node.func}()"))
        for arg in node.args:
            t = _check(arg, types, enums, errors)
            if t is not None and t != "number":
                errors.append(ExprError(arg.offset, "type-mismatch", f"{node.func}() needs numbers, got a {t}"))
        return "number"
    if isinstance(node, IfExp):
        ct = _check(node.cond, types, enums, errors)
        if ct is not None and ct != "bool":
            errors.append(ExprError(node.cond.offset, "type-mismatch", "the condition of 'if' must be a condition"))
        a = _check(node.then, types, enums, errors)
        b = _check(node.other, types, enums, errors)
        if a is not None and b is not None and a != b:
            errors.append(ExprError(node.offset, "type-mismatch", f"both branches must have one type ({a} vs {b})"))
        return a or b
    raise AssertionError(node)


def _check_enum(node: Cmp, enums: Mapping[str, tuple[str, ...]], errors: list[ExprError]) -> None:
    for name_side, lit_side in ((node.left, node.right), (node.right, node.left)):
        if isinstance(name_side, Name) and isinstance(lit_side, Str) and name_side.name in enums:
            allowed = enums[name_side.name]
            if lit_side.value not in allowed:
                errors.append(
                    ExprError(
                        lit_side.offset,
                        "unknown-value",
                        f"'{lit_side.value}' is not a value of {name_side.name}",
                        suggest(lit_side.value, list(allowed)),
                    )
                )


# --- names, folding, evaluation ------------------------------------------------------------------


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of a node."""
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Bin | Cmp):
        return (node.left, node.right)
    if isinstance(node, BoolOp):
        return node.items
    if isinstance(node, Call):
        return node.args
    if isinstance(node, IfExp):
        return (node.cond, node.then, node.other)
    return ()


def names(node: Node) -> set[str]:
    """Every name the expression reads."""
    if isinstance(node, Name):
        return {node.name}
    out: set[str] = set()
    for child in children(node):
        out |= names(child)
    return out


def substitute(node: Node, replace: Callable[[Name], Node | None]) -> Node:
    """A copy with names replaced where `replace` returns a node (lets inlined, parameters folded)."""
    if isinstance(node, Name):
        new = replace(node)
        return node if new is None else new
    if isinstance(node, Unary):
        return Unary(node.op, substitute(node.operand, replace), node.offset)
    if isinstance(node, Bin):
        return Bin(node.op, substitute(node.left, replace), substitute(node.right, replace), node.offset)
    if isinstance(node, Cmp):
        return Cmp(node.op, substitute(node.left, replace), substitute(node.right, replace), node.offset)
    if isinstance(node, BoolOp):
        return BoolOp(node.op, tuple(substitute(i, replace) for i in node.items), node.offset)
    if isinstance(node, Call):
        return Call(node.func, tuple(substitute(a, replace) for a in node.args), node.offset)
    if isinstance(node, IfExp):
        return IfExp(
            substitute(node.cond, replace), substitute(node.then, replace), substitute(node.other, replace), node.offset
        )
    return node


def literal(value: Value) -> Node:
    """A literal node for a value."""
    if isinstance(value, bool):
        return Bool(value)
    if isinstance(value, Decimal):
        return Num(value)
    return Str(value)


def fold(node: Node) -> Node:
    """Constant-fold: every sub-expression without names becomes a literal."""
    if isinstance(node, Num | Str | Bool | Name):
        return node
    parts = [fold(c) for c in children(node)]
    rebuilt = _rebuild(node, parts)
    if all(isinstance(p, Num | Str | Bool) for p in parts):
        return literal(evaluate(rebuilt, {}))
    if isinstance(rebuilt, BoolOp):
        return _fold_boolop(rebuilt)
    if isinstance(rebuilt, IfExp) and isinstance(rebuilt.cond, Bool):  # a choice on a parameter
        return rebuilt.then if rebuilt.cond.value else rebuilt.other
    return rebuilt


def _fold_boolop(node: BoolOp) -> Node:
    keep: list[Node] = []
    absorbing = node.op == "or"
    for item in node.items:
        if isinstance(item, Bool):
            if item.value == absorbing:
                return Bool(absorbing, node.offset)
            continue
        keep.append(item)
    if not keep:
        return Bool(not absorbing, node.offset)
    return keep[0] if len(keep) == 1 else BoolOp(node.op, tuple(keep), node.offset)


def _rebuild(node: Node, parts: list[Node]) -> Node:
    if isinstance(node, Unary):
        return Unary(node.op, parts[0], node.offset)
    if isinstance(node, Bin):
        return Bin(node.op, parts[0], parts[1], node.offset)
    if isinstance(node, Cmp):
        return Cmp(node.op, parts[0], parts[1], node.offset)
    if isinstance(node, BoolOp):
        return BoolOp(node.op, tuple(parts), node.offset)
    if isinstance(node, Call):
        return Call(node.func, tuple(parts), node.offset)
    if isinstance(node, IfExp):
        return IfExp(parts[0], parts[1], parts[2], node.offset)
    return node


def floor(x: Decimal) -> Decimal:
    """The greatest whole number not above x (full years of a record: "INT((months - 60) / 12)")."""
    return x.to_integral_value(rounding=ROUND_FLOOR)


def tenge(x: Decimal) -> Decimal:
    """Round half-up to whole tenge (the reference's recommended per-payment rounding)."""
    return x.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def evaluate(node: Node, env: Mapping[str, Value]) -> Value:
    """Evaluate with exact decimals; names come from `env` (indicators as Decimal, bool or str)."""
    if isinstance(node, Num | Str | Bool):
        return node.value
    if isinstance(node, Name):
        return env[node.name]
    if isinstance(node, Unary):
        v = evaluate(node.operand, env)
        return (not v) if node.op == "not" else -_num(v)
    if isinstance(node, Bin):
        a, b = _num(evaluate(node.left, env)), _num(evaluate(node.right, env))
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op == "*":
            return a * b
        return a / b if b != 0 else Decimal(0)
    if isinstance(node, Cmp):
        return compare(node.op, evaluate(node.left, env), evaluate(node.right, env))
    if isinstance(node, BoolOp):
        if node.op == "and":
            return all(evaluate(i, env) for i in node.items)
        return any(evaluate(i, env) for i in node.items)
    if isinstance(node, Call):
        args = [_num(evaluate(a, env)) for a in node.args]
        if node.func == "min":
            return min(args)
        if node.func == "max":
            return max(args)
        if node.func == "abs":
            return abs(args[0])
        if node.func == "floor":
            return floor(args[0])
        return tenge(args[0])
    if isinstance(node, IfExp):
        return evaluate(node.then, env) if evaluate(node.cond, env) else evaluate(node.other, env)
    raise AssertionError(node)


def _num(v: Value) -> Decimal:
    if isinstance(v, bool):
        return Decimal(int(v))
    if isinstance(v, Decimal):
        return v
    raise TypeError(f"expected a number, got {v!r}")


def compare(op: str, a: Value, b: Value) -> bool:
    """A comparison with the semantics every evaluator shares."""
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    x, y = _num(a), _num(b)
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def to_text(node: Node) -> str:
    """The expression written back as text (for explanations)."""
    if isinstance(node, Num):
        return format_number(node.value)
    if isinstance(node, Str):
        return repr(node.value)
    if isinstance(node, Bool):
        return "true" if node.value else "false"
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Unary):
        return f"not {to_text(node.operand)}" if node.op == "not" else f"-{to_text(node.operand)}"
    if isinstance(node, Bin | Cmp):
        return f"{_paren(node.left)} {node.op} {_paren(node.right)}"
    if isinstance(node, BoolOp):
        return f" {node.op} ".join(_paren(i) for i in node.items)
    if isinstance(node, Call):
        return f"{node.func}({', '.join(to_text(a) for a in node.args)})"
    if isinstance(node, IfExp):
        return f"{to_text(node.then)} if {to_text(node.cond)} else {to_text(node.other)}"
    raise AssertionError(node)


def value_text(value: Value) -> str:
    """`to_text(literal(value))` without building the node (explanations write a value per name)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_number(value)
    return repr(value)


def _paren(node: Node) -> str:
    text = to_text(node)
    return f"({text})" if isinstance(node, BoolOp | Bin | IfExp) else text


def format_number(d: Decimal) -> str:
    """A decimal as analysts write it: no exponent, no trailing zeros."""
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


# --- compilation to Python functions --------------------------------------------------------------

Compiled = Callable[[Mapping[str, Value]], Value]
_PY_CMP = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "==", "!=": "!="}


def _div(a: Decimal, b: Decimal) -> Decimal:
    return a / b if b != 0 else Decimal(0)


def compile_fn(node: Node) -> Compiled:
    """A Python function equal to `evaluate(node, env)`, generated once and reused per family.

    Tree-walking `evaluate` costs a call per node; evaluations run for every family on every
    benefit, so each expression is turned into one Python lambda (the fastest evaluator measured
    here). A property test keeps the two equal.
    """
    consts: list[Value] = []
    source = _py(node, consts)
    namespace: dict[str, object] = {
        "_c": consts, "_div": _div, "_round": tenge, "_min": min, "_max": max, "_abs": abs, "_floor": floor,
    }
    fn: Compiled = eval(f"lambda env: {source}", namespace)
    return fn


def _py(node: Node, consts: list[Value]) -> str:
    if isinstance(node, Num | Str | Bool):
        consts.append(node.value)
        return f"_c[{len(consts) - 1}]"
    if isinstance(node, Name):
        return f"env[{node.name!r}]"
    if isinstance(node, Unary):
        inner = _py(node.operand, consts)
        return f"(not {inner})" if node.op == "not" else f"(-{inner})"
    if isinstance(node, Bin):
        left, right = _py(node.left, consts), _py(node.right, consts)
        return f"_div({left}, {right})" if node.op == "/" else f"({left} {node.op} {right})"
    if isinstance(node, Cmp):
        return f"({_py(node.left, consts)} {_PY_CMP[node.op]} {_py(node.right, consts)})"
    if isinstance(node, BoolOp):
        return "bool(" + f" {node.op} ".join(_py(i, consts) for i in node.items) + ")"
    if isinstance(node, Call):
        args = ", ".join(_py(a, consts) for a in node.args)
        return f"_{node.func}({args})"
    if isinstance(node, IfExp):
        return f"({_py(node.then, consts)} if {_py(node.cond, consts)} else {_py(node.other, consts)})"
    raise AssertionError(node)


def text_template(node: Node, fill: set[str]) -> tuple[str, tuple[str, ...]]:
    """`to_text(node)` as a format string with a placeholder for each name in `fill`.

    Explanations show every eligible amount's arithmetic with the family's values in it; building
    the text once per epoch and formatting it per family costs a fraction of substituting and
    rendering the tree each time. `template.format(*texts)` equals `to_text` of the substituted tree.
    """
    order: list[str] = []

    def token(name: Name) -> Node | None:
        if name.name not in fill:
            return None
        order.append(name.name)
        return Name(f"\x00{len(order) - 1}\x00", name.offset)

    text = to_text(substitute(node, token)).replace("{", "{{").replace("}", "}}")
    for i in range(len(order)):
        text = text.replace(f"\x00{i}\x00", f"{{{i}}}")
    return text, tuple(order)
