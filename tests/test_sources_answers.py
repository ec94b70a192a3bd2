"""The store's answer cache: bounded in count, bounded in age, safe against a racing change."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from corskit.sources._answers import Answers


@given(st.lists(st.text(min_size=1, max_size=30), max_size=400), st.integers(2, 50))
def test_the_cache_never_holds_more_than_its_size(origins: list[str], size: int) -> None:
    answers = Answers(size, ttl=60, now=0.0)
    for index, origin in enumerate(origins):
        answers.put(origin, index % 2 == 0, answers.epoch, now=0.0)
        assert len(answers) <= size
        assert answers.get(origin) is (index % 2 == 0)


def test_answers_expire_within_the_ttl_and_one_poll() -> None:
    answers = Answers(100, ttl=10, now=0.0)
    answers.put("https://a.example", True, 0, now=0.0)
    answers.expire(4.9)
    assert answers.get("https://a.example") is True
    answers.expire(5.0)  # half the TTL: it moves to the older generation
    assert answers.get("https://a.example") is True
    answers.put("https://b.example", False, 0, now=6.0)
    answers.expire(10.0)  # the TTL: the older generation is gone
    assert answers.get("https://a.example") is None
    assert answers.get("https://b.example") is False
    answers.expire(20.0)
    assert answers.get("https://b.example") is None


def test_an_answer_looked_up_before_a_change_is_not_remembered_after_it() -> None:
    answers = Answers(100, ttl=10, now=0.0)
    epoch = answers.epoch
    answers.clear()  # the store changed while the lookup ran
    answers.put("https://a.example", True, epoch, now=0.0)
    assert answers.get("https://a.example") is None


def test_a_ttl_of_zero_remembers_nothing() -> None:
    answers = Answers(100, ttl=0, now=0.0)
    answers.put("https://a.example", True, 0, now=0.0)
    assert len(answers) == 0


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["put", "expire", "clear"]),
            st.sampled_from(["https://a.example", "https://b.example", "https://c.example"]),
            st.booleans(),
            st.floats(0, 5),
        ),
        max_size=60,
    ),
    st.integers(2, 6),
    st.sampled_from([0.0, 1.0, 10.0]),
)
def test_an_answer_is_never_dropped_without_moving_the_generation(
    steps: list[tuple[str, str, bool, float]], size: int, ttl: float
) -> None:
    """What the engine relies on to keep decisions under ``generation`` (engine.py)."""
    answers = Answers(size, ttl=ttl, now=0.0)
    now = 0.0
    seen: dict[str, tuple[int, bool | None]] = {}
    for action, origin, answer, step in steps:
        now += step
        if action == "put":
            if answers.get(origin) is None:  # as the store does: only after a miss
                answers.put(origin, answer, answers.epoch, now)
        elif action == "expire":
            answers.expire(now)
        else:
            answers.clear()
        for name, (generation, held) in list(seen.items()):
            if answers.generation == generation:
                assert answers.get(name) is held  # nothing moved: the kept answer stands
        for name in ("https://a.example", "https://b.example", "https://c.example"):
            held = answers.get(name)
            if held is not None:
                seen[name] = (answers.generation, held)


class ChangedDuringRotation(Answers):
    """The store changes (another thread's clear) at the worst moment of a put: while the
    put makes room by rotating, after the lookup's epoch was taken."""

    __slots__ = ("changed",)

    def _rotate(self, now: float) -> None:
        if not getattr(self, "changed", False):
            self.changed = True
            self.clear()
        super()._rotate(now)


def test_a_change_landing_while_a_put_makes_room_is_not_overtaken() -> None:
    answers = ChangedDuringRotation(4, ttl=60, now=0.0)
    answers.changed = True  # no change while filling
    for index in range(2):
        answers.put(f"https://fill{index}.example", False, answers.epoch, now=0.0)
    answers.changed = False
    epoch = answers.epoch  # the lookup starts, the store then changes inside put
    answers.put("https://removed.example", True, epoch, now=0.0)
    assert answers.get("https://removed.example") is None

