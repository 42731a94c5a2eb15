"""The cost of the template limits: every shipped default template rendered with the checked environment
(notifications.rendering: checked filters, loops and ranges, the deadline) against the same templates
rendered, in the same run, with a plain python-liquid Environment (the same filters, no limits) and with
one that has only python-liquid's own limits (loop, namespace, output stream: what rendering had before).

    .venv/bin/python bench/render.py [--rounds 200]

Prints the time per render of each (the best of five interleaved trials) and the ratios; asserts nothing.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from liquid import Environment, Template  # noqa: E402

from notifications import rendering  # noqa: E402
from tests.test_rendering import full_context  # noqa: E402

TRIALS = 5
CUSTOM_FILTERS = {"money": rendering.money, "money_with_currency": rendering.money_with_currency,
                  "date": rendering.date, "pluralize": rendering.pluralize}


class LiquidLimitsOnly(Environment):
    loop_iteration_limit = rendering.MessageEnvironment.loop_iteration_limit
    local_namespace_limit = rendering.MessageEnvironment.local_namespace_limit
    output_stream_limit = rendering.MessageEnvironment.output_stream_limit
    context_depth_limit = rendering.MessageEnvironment.context_depth_limit


def plain_environment(autoescape: bool, kind: type[Environment] = Environment) -> Environment:
    env = kind(autoescape=autoescape)
    env.filters.update(CUSTOM_FILTERS)
    return env


def shipped() -> list[tuple[Path, str, bool]]:
    """(path, message type, html) of every shipped default message template."""
    paths = sorted((rendering.TEMPLATES / "messages").glob("*/*/*.liquid"))
    return [(path, path.parent.name, path.stem == "html") for path in paths]


def timed(renders: list[Callable[[], str]], rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        for one in renders:
            one()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds
    kinds = {"plain liquid Environment": Environment, "python-liquid's limits only": LiquidLimitsOnly}
    envs = {label: {html: plain_environment(html, kind) for html in (True, False)} for label, kind in kinds.items()}
    runs: dict[str, list[Callable[[], str]]] = {label: [] for label in [*kinds, "checked (rendering.render)"]}
    for path, message_type, html in shipped():
        source, context = path.read_text(encoding="utf-8"), full_context(message_type)
        ours = rendering.parse(source, html)
        runs["checked (rendering.render)"].append(_render_checked(ours, context))
        for label in kinds:
            theirs = envs[label][html].from_string(source)
            assert rendering.render(ours, context) == theirs.render(**context), path
            runs[label].append(_render_plain(theirs, context))
    for renders in runs.values():
        timed(renders, 5)  # warm up
    trials: dict[str, list[float]] = {label: [] for label in runs}
    for _ in range(TRIALS):  # interleaved, the best of each: the machine's other load counts least
        for label, renders in runs.items():
            trials[label].append(timed(renders, rounds // TRIALS))
    seconds = {label: min(spent) * TRIALS for label, spent in trials.items()}
    count = len(runs["checked (rendering.render)"]) * rounds
    print(f"{count // rounds} shipped templates x {rounds} rounds = {count} renders")
    for label, spent in seconds.items():
        print(f"{label:>30}: {spent:.3f} s ({spent / count * 1e6:.1f} us per render)")
    base, limits_only = seconds["plain liquid Environment"], seconds["python-liquid's limits only"]
    print(f"ratio checked / plain: {seconds['checked (rendering.render)'] / base:.2f}; "
          f"python-liquid's limits only / plain: {limits_only / base:.2f}")


def _render_checked(template: Template, context: dict[str, Any]) -> Callable[[], str]:
    return lambda: rendering.render(template, context)


def _render_plain(template: Template, context: dict[str, Any]) -> Callable[[], str]:
    return lambda: template.render(**context)


if __name__ == "__main__":
    main()
