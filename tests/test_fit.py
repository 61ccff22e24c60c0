"""fit_scale: the largest text scale that fits a frame, without laying the frame out more than needed."""
import random

import pytest

from antifraud_cli.layout import fit_scale


@pytest.mark.parametrize("mode", ["shrink", "grow", "error"])
def test_fit_scale_finds_the_largest_fitting_scale(mode):
    rng = random.Random(7)
    for _ in range(500):
        a, b, avail = rng.uniform(50, 400), rng.uniform(0, 100), rng.uniform(30, 700)
        height = lambda s: a * s * s + b * s  # noqa: E731 - a layout's height as its text scales
        calls = []
        scale = fit_scale(lambda s: calls.append(s) or height(s), avail, mode)
        assert len(calls) <= 8
        if mode == "error" or (mode == "shrink" and height(1.0) <= avail):
            assert scale == 1.0
        elif height(scale) > avail:
            assert scale == 0.35  # does not fit even at the smallest scale: the renderer reports it
        else:
            upper = 1.5 if height(1.0) <= avail else 1.0
            assert scale == upper or height(min(upper, scale + 0.031)) > avail
