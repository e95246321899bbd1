"""Expression trees (`engine.expr`) as polars expressions, with the evaluator's exact decimals.

`expr.evaluate` computes in `decimal.Decimal`; floats would disagree at half-tenge boundaries. So
every number here is fixed-point: an integer column holding value × 10**scale, with the scale known
when the expression is built. Addition aligns scales, multiplication adds them, comparisons are
integer comparisons after alignment: all exact, as in Decimal. Each sub-expression also carries a
bound on its integers (from the indicators' limits), and an expression is built in Int64 when
every intermediate fits, in Int128 otherwise. Two operations are not closed in fixed point:

- `round(x)` is half-up (away from zero) to whole tenge, as `expr.tenge`;
- `a / b` keeps `DIVISION_SCALE` decimals, rounded half-even. Decimal keeps 28 significant digits;
  the two differ only for a quotient within 1e-18 of a rounding tie that is not itself exact,
  which a quotient of amounts in tiyn by small counts never is. `x / 0` is 0, as in `expr`.

The translator is generic over every node type of the language; it knows nothing of benefits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import polars as pl

from engine import expr

NARROW, WIDE = pl.Int64, pl.Int128
NARROW_LIMIT = 2**62  # an expression whose integers may pass this is built in Int128
WIDE_LIMIT = 2**126  # and one that may pass this is refused rather than allowed to overflow
DIVISION_SCALE = 18
Kind = Literal["number", "bool", "str"]
IntType = type[pl.Int64] | type[pl.Int128]


@dataclass(frozen=True)
class Column:
    """What an indicator column holds: its kind and, for numbers, its scale and the largest
    absolute value of its integers (from the snapshot model's limits)."""

    kind: Kind
    scale: int = 0
    bound: int = 10**16


@dataclass(frozen=True)
class Typed:
    """A translated sub-expression: a polars expression, its kind, and for numbers its scale and a
    bound on the absolute value of its integers."""

    expr: pl.Expr
    kind: Kind
    scale: int = 0
    bound: int = 1


class TranslationError(ValueError):
    """An expression the translator cannot turn into columns (an unknown name or a type clash)."""


def round_to(n: pl.Expr, scale: int, mode: str, dtype: IntType = NARROW) -> pl.Expr:
    """A fixed-point number at `scale` rounded to an integer: half_up (away from zero on ties),
    half_even, up (away from zero) or down (toward zero). Arithmetic only, no branches."""
    if scale == 0:
        return n
    unit = pl.lit(10**scale, dtype=dtype)
    mag = n.abs()
    if mode == "half_up":
        q = (mag + pl.lit(10**scale // 2, dtype=dtype)) // unit
    elif mode == "down":
        q = mag // unit
    elif mode == "up":
        q = (mag + unit - pl.lit(1, dtype=dtype)) // unit
    elif mode == "half_even":
        base = mag // unit
        r2 = (mag - base * unit) * 2
        q = base + ((r2 > unit) | ((r2 == unit) & (base % 2 == 1))).cast(dtype)
    else:
        raise TranslationError(f"unknown rounding mode '{mode}'")
    return q * n.sign().cast(dtype)


class Translator:
    """Translates folded expressions over the indicator columns named in `columns`."""

    def __init__(self, columns: Mapping[str, Column]):
        self.columns = columns
        self.dtype: IntType = NARROW
        self._peak = 0

    def boolean(self, node: expr.Node) -> pl.Expr:
        """A condition as a Boolean expression."""
        t = self._top(node)
        if t.kind == "number":
            return t.expr != 0
        if t.kind != "bool":
            raise TranslationError(f"expected a condition, got a {t.kind}: {expr.to_text(node)}")
        return t.expr

    def number(self, node: expr.Node) -> Typed:
        """A numeric expression as a fixed-point column (Int64, or Int128 when it may not fit)."""
        t = self._top(node)
        return self._as_number(t)

    def _top(self, node: expr.Node) -> Typed:
        self.dtype, self._peak = NARROW, 0
        t = self._translate(node)
        if self._peak >= NARROW_LIMIT:
            self.dtype, self._peak = WIDE, 0
            t = self._translate(node)
            t = Typed(t.expr, t.kind, t.scale, max(t.bound, NARROW_LIMIT))  # marks the result as wide
        return t

    def _num(self, e: pl.Expr, scale: int, bound: int) -> Typed:
        if bound >= WIDE_LIMIT:
            raise TranslationError("a number in this expression may exceed 128-bit fixed point")
        self._peak = max(self._peak, bound)
        return Typed(e, "number", scale, bound)

    def _lit(self, value: int) -> pl.Expr:
        if abs(value) >= NARROW_LIMIT:  # the narrow attempt is discarded once a number this large appears
            self._peak = max(self._peak, abs(value))
            return pl.lit(value, dtype=WIDE)
        return pl.lit(value, dtype=self.dtype)

    def rescale(self, t: Typed, scale: int) -> Typed:
        """The number at a higher scale (exact)."""
        if scale < t.scale:
            raise AssertionError("rescale only raises the scale")
        if scale == t.scale:
            return t
        factor = 10 ** (scale - t.scale)
        return self._num(t.expr * self._lit(factor), scale, t.bound * factor)

    def _translate(self, node: expr.Node) -> Typed:
        if isinstance(node, expr.Num):
            d = node.value.normalize()
            scale = max(0, -int(d.as_tuple().exponent))
            value = int(d.scaleb(scale))
            return self._num(self._lit(value), scale, abs(value))
        if isinstance(node, expr.Str):
            return Typed(pl.lit(node.value, dtype=pl.String), "str")
        if isinstance(node, expr.Bool):
            return Typed(pl.lit(node.value, dtype=pl.Boolean), "bool")
        if isinstance(node, expr.Name):
            return self._name(node)
        if isinstance(node, expr.Unary):
            inner = self._translate(node.operand)
            if node.op == "not":
                return Typed(~self._as_bool(inner, node), "bool")
            num = self._as_number(inner)
            return self._num(self._lit(0) - num.expr, num.scale, num.bound)  # Int128 has no negation
        if isinstance(node, expr.Bin):
            a, b = self._as_number(self._translate(node.left)), self._as_number(self._translate(node.right))
            if node.op == "*":
                return self._num(a.expr * b.expr, a.scale + b.scale, a.bound * b.bound)
            if node.op == "/":
                return self._divide(a, b)
            s = max(a.scale, b.scale)
            x, y = self.rescale(a, s), self.rescale(b, s)
            combined = x.expr + y.expr if node.op == "+" else x.expr - y.expr
            return self._num(combined, s, x.bound + y.bound)
        if isinstance(node, expr.Cmp):
            return Typed(self._compare(node), "bool")
        if isinstance(node, expr.BoolOp):
            parts = [self._as_bool(self._translate(i), i) for i in node.items]
            out = parts[0]
            for p in parts[1:]:
                out = (out & p) if node.op == "and" else (out | p)
            return Typed(out, "bool")
        if isinstance(node, expr.Call):
            return self._call(node)
        if isinstance(node, expr.IfExp):
            cond = self._as_bool(self._translate(node.cond), node.cond)
            a, b = self._translate(node.then), self._translate(node.other)
            if a.kind == "number" or b.kind == "number":
                a, b = self._as_number(a), self._as_number(b)
                s = max(a.scale, b.scale)
                x, y = self.rescale(a, s), self.rescale(b, s)
                return self._num(pl.when(cond).then(x.expr).otherwise(y.expr), s, max(x.bound, y.bound))
            if a.kind != b.kind:
                raise TranslationError(f"branches of different kinds in {expr.to_text(node)}")
            return Typed(pl.when(cond).then(a.expr).otherwise(b.expr), a.kind)
        raise TranslationError(f"unsupported expression node {type(node).__name__}")

    def _name(self, node: expr.Name) -> Typed:
        col = self.columns.get(node.name)
        if col is None:
            raise TranslationError(f"'{node.name}' is neither an indicator column nor a folded parameter")
        if col.kind == "number":
            # An unknown optional indicator counts as 0 (compiler.env_value); `requires` routes it.
            return self._num(pl.col(node.name).fill_null(0).cast(self.dtype), col.scale, col.bound)
        if col.kind == "bool":
            return Typed(pl.col(node.name).fill_null(False), "bool")
        return Typed(pl.col(node.name).cast(pl.String), "str")

    def _as_number(self, t: Typed) -> Typed:
        if t.kind == "number":
            return t
        if t.kind == "bool":  # expr._num: a boolean counts as 0 or 1
            return self._num(t.expr.cast(self.dtype), 0, 1)
        raise TranslationError("a text value used as a number")

    def _as_bool(self, t: Typed, node: expr.Node) -> pl.Expr:
        if t.kind == "bool":
            return t.expr
        if t.kind == "number":  # truthiness of a Decimal
            return t.expr != 0
        raise TranslationError(f"a text value used as a condition: {expr.to_text(node)}")

    def _divide(self, a: Typed, b: Typed) -> Typed:
        # value = (a / 10^sa) / (b / 10^sb); at DIVISION_SCALE: a * 10^(S + sb - sa) / b, half-even.
        shift = DIVISION_SCALE + b.scale - a.scale
        num = self._num(a.expr * self._lit(10**shift), 0, a.bound * 10**shift) if shift >= 0 else a
        den = b if shift >= 0 else self._num(b.expr * self._lit(10**-shift), 0, b.bound * 10**-shift)
        sign = den.expr.sign().cast(self.dtype)
        n, d = num.expr * sign, den.expr.abs()
        safe = pl.when(d == 0).then(self._lit(1)).otherwise(d)
        q = n // safe
        r = n - q * safe
        rounded = q + ((r * 2 > safe) | ((r * 2 == safe) & (q % 2 != 0))).cast(self.dtype)
        return self._num(pl.when(d == 0).then(self._lit(0)).otherwise(rounded), DIVISION_SCALE, num.bound * 2 + 1)

    def _round_quotient(self, node: expr.Bin) -> Typed:
        """round(a / b) exactly, as one rational: half-up of N / D with N = a·10^sb, D = b·10^sa."""
        a = self._as_number(self._translate(node.left))
        b = self._as_number(self._translate(node.right))
        n = self._num(a.expr * self._lit(10**b.scale), 0, a.bound * 10**b.scale)
        d = self._num(b.expr * self._lit(10**a.scale), 0, b.bound * 10**a.scale)
        self._num(n.expr, 0, 2 * n.bound + d.bound)  # the widest intermediate below
        mag_d = d.expr.abs()
        safe = pl.when(mag_d == 0).then(self._lit(1)).otherwise(mag_d)
        q = (n.expr.abs() * 2 + safe) // (safe * 2)
        sign = n.expr.sign().cast(self.dtype) * d.expr.sign().cast(self.dtype)
        return self._num(q * sign, 0, n.bound + 1)

    def _compare(self, node: expr.Cmp) -> pl.Expr:
        a, b = self._translate(node.left), self._translate(node.right)
        op = node.op
        kinds = {a.kind, b.kind}
        equality = op in ("==", "!=")
        if "str" in kinds:
            if not equality:
                raise TranslationError(f"cannot order text: {expr.to_text(node)}")
            if kinds != {"str"}:  # text never equals a number or a boolean
                return pl.lit(op == "!=")
            left, right = a.expr, b.expr
        elif kinds == {"bool"} and equality:
            left, right = a.expr, b.expr
        else:  # numbers, or booleans taken as 0/1 (expr._num)
            x, y = self._as_number(a), self._as_number(b)
            s = max(x.scale, y.scale)
            left, right = self.rescale(x, s).expr, self.rescale(y, s).expr
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right,
                "==": left == right, "!=": left != right}[op]

    def _call(self, node: expr.Call) -> Typed:
        args = [self._as_number(self._translate(a)) for a in node.args]
        if node.func == "round" and isinstance(node.args[0], expr.Bin) and node.args[0].op == "/":
            return self._round_quotient(node.args[0])
        if node.func == "round":
            a = args[0]
            return self._num(round_to(a.expr, a.scale, "half_up", self.dtype), 0, a.bound // 10**a.scale + 1)
        if node.func == "abs":
            return self._num(args[0].expr.abs(), args[0].scale, args[0].bound)
        if node.func == "floor":  # integer floor division rounds toward minus infinity, as Decimal's floor
            a = args[0]
            unit = self._lit(10**a.scale)
            return self._num(a.expr // unit if a.scale else a.expr, 0, a.bound // 10**a.scale + 1)
        s = max(a.scale for a in args)
        aligned = [self.rescale(a, s) for a in args]
        fn = pl.min_horizontal if node.func == "min" else pl.max_horizontal
        return self._num(fn([a.expr for a in aligned]), s, max(a.bound for a in aligned))


def is_wide(t: Typed) -> bool:
    """Whether a number from `Translator.number` was built in Int128."""
    return t.bound >= NARROW_LIMIT


def literal_scale(value: Decimal) -> tuple[int, int]:
    """A decimal as (integer, scale) with the smallest scale that holds it exactly."""
    d = value.normalize()
    scale = max(0, -int(d.as_tuple().exponent))
    return int(d.scaleb(scale)), scale
