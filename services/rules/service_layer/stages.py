"""The loyalty ladder's stages: the shipped default (seed 000's model) and the program's own,
compiled once."""

import functools
from pathlib import Path

import yaml

from services.rules.adapters.cel_engine import CelPredicate, compile_member_condition
from services.rules.adapters.challenge_specs import LadderSpec
from services.rules.domain.ladder import Stage

DEFAULT_LADDER = Path(__file__).parents[1] / "default_ladder.yaml"


@functools.cache
def default_ladder() -> LadderSpec:
    """The ladder shipped with pointstream, until the program saves its own."""
    return LadderSpec.model_validate(yaml.safe_load(DEFAULT_LADDER.read_text(encoding="utf-8")))


@functools.cache
def default_stages() -> list[tuple[Stage, CelPredicate]]:
    return compile_ladder(default_ladder())


def compile_ladder(spec: LadderSpec) -> list[tuple[Stage, CelPredicate]]:
    """Each stage with its condition; ExpressionError names the stage that fails."""
    return [
        (stage, compile_member_condition(stage.condition, f"stage {stage.stage_id} condition"))
        for stage in spec.to_stages()
    ]
