"""Bounds on one render of a merchant's template, so that a template cannot take the process.

python-liquid's own limits (loop iterations, local namespace, output stream, context depth) do not bound
the value a filter makes: ``"a" | replace: "a", "aaaaaaaaaa" | replace: ...`` grows tenfold per filter
inside one output statement and never reaches the output stream. So every filter call is checked:

- its inputs and its result, against ``STRING_LIMIT`` characters (a list counts its items and their text),
  ``ITEM_LIMIT`` items and ``INTEGER_BITS`` bits;
- before the call, the size the two filters that can multiply their input (``replace``, ``join``) would make;
- the render's deadline (``RENDER_SECONDS``), also checked on every loop iteration;
- range literals, which python-liquid makes lazily, can hold at most ``RANGE_LIMIT`` numbers
  (``{% for i in (1..100000000) reversed %}`` would otherwise build the whole list).

The checks live in ``CheckedContext`` (python-liquid's documented way to render with a custom
``RenderContext``: ``BoundTemplate.context_class``), which wraps whatever filter the environment resolves,
so a filter registered later is checked too. A limit raises ``RenderLimitError`` (a python-liquid
``ResourceLimitError``) carrying the filter's token, hence the template's line and column.
"""
from __future__ import annotations

import contextvars
import functools
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from liquid import BoundTemplate, RenderContext
from liquid.ast import Node
from liquid.builtin.expressions.primitive import RangeLiteral
from liquid.exceptions import LiquidError, ResourceLimitError
from liquid.expression import Expression
from liquid.token import Token

STRING_LIMIT = 100_000
ITEM_LIMIT = 10_000
INTEGER_BITS = 100
RANGE_LIMIT = 1000
RENDER_SECONDS = 2.0

#: The render's deadline (time.monotonic()), set by rendering.render for all the parts of one message.
DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("aftercare_render_deadline", default=None)


class RenderLimitError(ResourceLimitError):
    """A value, a range or the render's time went past its limit; carries the token where it happened."""


class FilterFailedError(LiquidError):
    """A filter raised an error that is not python-liquid's own (e.g. decimal.InvalidOperation)."""


def size(value: Any, depth: int = 0) -> int:
    """Characters of a string; a list's items plus their sizes; 1 for anything else."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, range):
        return _range_length(value)
    if isinstance(value, (list, tuple)):
        return len(value) + (sum(size(item, depth + 1) for item in value) if depth < 3 else 0)
    return 1


def _range_length(value: range) -> int:
    try:
        return len(value)
    except OverflowError:
        return RANGE_LIMIT + STRING_LIMIT + 1


def check_value(value: Any, what: str, token: Token | None) -> None:
    """Raise RenderLimitError when value is larger than the limits allow."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > INTEGER_BITS:
            raise RenderLimitError(f"{what} is a number past the limit of {INTEGER_BITS} bits", token=token)
        return
    if isinstance(value, (list, tuple, range)) and len(value) > ITEM_LIMIT:
        raise RenderLimitError(f"{what} has {len(value):,} items; the limit is {ITEM_LIMIT:,}", token=token)
    measured = size(value)
    if measured > STRING_LIMIT:
        raise RenderLimitError(f"{what} would be {measured:,} characters; the limit is {STRING_LIMIT:,}",
                               token=token)


def _text_size(value: Any) -> int:
    return len(value) if isinstance(value, str) else size(value) + 20


def _replace_size(left: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    old, new = (list(args) + list(kwargs.values()) + ["", ""])[:2]
    old_size, new_size = _text_size(old), _text_size(new)
    if isinstance(left, str) and isinstance(old, str):
        count = left.count(old)
    else:
        count = _text_size(left) + 1
    return _text_size(left) + count * max(new_size - old_size, 0)


def _join_size(left: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    separator = (list(args) + list(kwargs.values()) + [" "])[0]
    if not isinstance(left, (list, tuple, range)):
        return _text_size(left)
    return sum(_text_size(item) for item in left) + max(len(left) - 1, 0) * _text_size(separator)


#: filter -> the size of its result computed before the call, for the filters that can multiply their input.
ESTIMATES: dict[str, Callable[[Any, tuple[Any, ...], Mapping[str, Any]], int]] = {
    "replace": _replace_size, "join": _join_size,
}

#: Errors a filter may raise on odd input that are not python-liquid's: a template error at the filter.
FILTER_FAILURES = (ArithmeticError, ValueError, LookupError, OverflowError, AttributeError)


def _check_deadline(context: CheckedContext, token: Token | None) -> None:
    if time.monotonic() > context.deadline:
        raise RenderLimitError(f"the render took longer than the limit of {RENDER_SECONDS:g} s", token=token)


def _checked_call(context: CheckedContext, name: str, token: Token, func: Callable[..., Any],
                  left: Any, *args: Any, **kwargs: Any) -> Any:
    _check_deadline(context, token)
    check_value(left, f"the input of '{name}'", token)
    for value in (*args, *kwargs.values()):
        check_value(value, f"an argument of '{name}'", token)
    estimate = ESTIMATES[name](left, args, kwargs) if name in ESTIMATES else 0
    if estimate > STRING_LIMIT:
        raise RenderLimitError(f"'{name}' would make {estimate:,} characters; the limit is {STRING_LIMIT:,}",
                               token=token)
    try:
        result = func(left, *args, **kwargs)
    except (LiquidError, TypeError):
        raise
    except FILTER_FAILURES as exc:
        raise FilterFailedError(f"'{name}' failed ({type(exc).__name__})", token=token) from exc
    check_value(result, f"the result of '{name}'", token)
    return result


def _ticking(items: Iterator[Any], context: CheckedContext) -> Iterator[Any]:
    for item in items:
        _check_deadline(context, None)
        yield item


class CheckedContext(RenderContext):
    """A render context whose filters are checked and whose loops watch the deadline."""

    __slots__ = ("deadline",)

    def __init__(self, template: BoundTemplate, **kwargs: Any) -> None:
        super().__init__(template, **kwargs)
        parent = kwargs.get("parent_context")
        if isinstance(parent, CheckedContext):
            self.deadline = parent.deadline
        else:
            self.deadline = DEADLINE.get() or time.monotonic() + RENDER_SECONDS

    def filter(self, name: str, token: Token | None) -> Callable[..., object]:  # noqa: A003 (python-liquid's)
        return functools.partial(_checked_call, self, name, token, super().filter(name, token))

    @contextmanager
    def loop(self, namespace: Mapping[str, object], forloop: Any) -> Iterator[RenderContext]:
        forloop.it = _ticking(forloop.it, self)
        with super().loop(namespace, forloop) as context:
            yield context


class CheckedTemplate(BoundTemplate):
    context_class = CheckedContext


class CheckedRange(RangeLiteral):
    """A range literal that refuses to hold more than RANGE_LIMIT numbers."""

    __slots__ = ()

    def _make_range(self, start: Any, stop: Any) -> range:
        numbers = super()._make_range(start, stop)
        if _range_length(numbers) > RANGE_LIMIT:
            raise RenderLimitError(f"the range ({start}..{stop}) has more numbers than the limit of {RANGE_LIMIT:,}",
                                   token=self.token)
        return numbers


def _bound_expression(expression: Expression) -> None:
    if type(expression) is RangeLiteral:
        expression.__class__ = CheckedRange
    for child in expression.children():
        _bound_expression(child)


def bound_ranges(nodes: list[Node], static_context: RenderContext) -> None:
    """Turn every range literal of a parsed template into a CheckedRange."""
    for node in nodes:
        for expression in node.expressions():
            _bound_expression(expression)
        bound_ranges(list(node.children(static_context, include_partials=False)), static_context)
