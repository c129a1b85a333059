"""The strict ``[watch]`` section."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from andon.core.errors import ConfigError
from andon.watch.config import WatchConfig, duration, load_watch_config


def test_defaults_and_units() -> None:
    c = load_watch_config({})
    assert c == WatchConfig()
    assert c.sweep_interval == 900 and c.coalesce_window == 0.25
    c = load_watch_config(
        {
            "watch": {
                "queue_url": "https://sqs.eu-west-1.amazonaws.com/111122223333/andon-watch",
                "sweep_interval": "15m",
                "coalesce_window": "250ms",
                "metrics": False,
            }
        }
    )
    assert c.sweep_interval == 900 and c.coalesce_window == 0.25 and c.metrics_port is None
    assert c.region_of_queue("us-east-1") == "eu-west-1"
    assert WatchConfig(queue_url="http://127.0.0.1:5000/1/q").region_of_queue("ap-1") == "ap-1"


@pytest.mark.parametrize(
    ("watch", "message"),
    [
        ({"queue": "x"}, r"unknown key\(s\) queue"),
        ({"queue_url": "sqs://nope"}, "not an SQS queue URL"),
        ({"sweep_interval": "soon"}, "sweep_interval must be a duration"),
        ({"sweep_interval": "500ms"}, "at least 1 second"),
        ({"wait_time": 21}, "between 0 and 20"),
        ({"wait_time": True}, "whole number"),
        ({"metrics_port": 70000}, "TCP port"),
        ({"metrics": False, "metrics_port": 9000}, "contradict"),
        ({"backoff_initial": "2s", "backoff_max": "1s"}, "backoff_initial"),
        ({"coalesce_window": -1}, "zero or more"),
    ],
)
def test_bad_values_name_the_key(watch: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_watch_config({"watch": watch})


def test_watch_must_be_a_table() -> None:
    with pytest.raises(ConfigError, match=r"\[watch\]"):
        load_watch_config({"watch": "on"})


@given(
    st.floats(min_value=0, max_value=1e6, allow_nan=False),
    st.sampled_from(["ms", "s", "m", "h", ""]),
)
def test_durations_scale_by_their_unit(value: float, unit: str) -> None:
    text = f"{value:.3f}{unit}"
    factor = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "": 1}[unit]
    assert duration(text, "k") == pytest.approx(float(f"{value:.3f}") * factor)


@given(st.text(max_size=12))
def test_any_text_is_a_duration_or_a_config_error(text: str) -> None:
    try:
        assert duration(text, "k") >= 0
    except ConfigError as exc:
        assert "[watch] k" in str(exc)
