# A Questline xp-formula plugin in Python, built with componentize-py: the same rules as the
# JavaScript and Rust versions in docs/plugins.md, so one test checks all of them
# (tests/tests/plugins/languages.rs).
#
# WIT -> Python as componentize-py maps it: each exported interface is a class of this module
# named in PascalCase (`Metadata`, `XpFormula`) whose methods are snake_case; records are
# dataclasses with snake_case fields; a variant case is a dataclass `<Variant>_<Case>` holding
# `.value`; enums are `enum.Enum` members in UPPER_SNAKE; every integer width is `int`;
# `option<T>` is `T` or `None`; an imported function returning `result<T, E>` returns T or
# raises `componentize_py_types.Err(E)`.
import json
import math

from wit_world import exports
from wit_world.exports.metadata import Capability, CapabilityUse, PluginInfo
from wit_world.imports import config, log
from wit_world.imports.types import ActivityKind_Message, ActivityKind_Reaction, PluginKind


# The same settings schema in every language: the host refuses a mistyped key or a value
# out of range, and fills in the default.
SETTINGS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "per_message": {
            "type": "integer",
            "minimum": 0,
            "maximum": 1000,
            "default": 10,
            "description": "XP per message (before the rate)",
        }
    },
}


class Metadata(exports.Metadata):
    def info(self) -> PluginInfo:
        return PluginInfo(
            name="py-linear-xp",
            version="0.1.0",
            description="Linear XP per message with a cooldown; a quadratic level curve "
            "(written in Python)",
            kinds=[PluginKind.XP_FORMULA],
            contract="0.2.0",
            capabilities=[
                CapabilityUse(Capability.LOG, "warns when the settings are not JSON"),
                CapabilityUse(Capability.CONFIG, "reads the server's XP per message"),
            ],
            settings_schema=json.dumps(SETTINGS_SCHEMA),
        )


def per_message() -> int:
    """The guild's settings: `{"per_message": N}` overrides the default 10 XP."""
    try:
        cfg = json.loads(config.get())
    except ValueError as e:
        log.log(log.Level.WARN, f"bad plugin config, using defaults: {e}")
        return 10
    n = cfg.get("per_message") if isinstance(cfg, dict) else None
    # JSON numbers like 40 and 40.0 are both integers to JavaScript's Number.isInteger.
    if isinstance(n, float) and n.is_integer():
        n = int(n)
    if isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 1000:
        return n
    return 10


def js_round(x: float) -> int:
    """JavaScript's Math.round (halves round up), not Python's round (halves to even)."""
    return math.floor(x + 0.5)


class XpFormula(exports.XpFormula):
    def xp_for_activities(self, items):
        base = per_message()
        out = []
        for item in items:
            kind = item.activity.kind
            if isinstance(kind, ActivityKind_Message):
                since = item.seconds_since_last_award
                if since is not None and since < 60:
                    out.append(0)
                else:
                    out.append(js_round(base * item.xp_rate))
            elif isinstance(kind, ActivityKind_Reaction):
                out.append(2)
            else:
                out.append(0)
        return out

    # 100, 300, 600, ... : 50 * level * (level + 1), strictly increasing, 0 for level 0.
    def total_xp_for_level(self, level: int) -> int:
        return 50 * level * (level + 1)
