"""numpy's SFC64 generator and its normal, exponential and uniform draws, compiled inline.

Numba can call a ``numpy.random.Generator`` from compiled code, but each number then goes
through the bit generator's function pointer; here the generator's four 64-bit words are plain
local variables of the compiled loop and every draw is inlined, which halves the cost of a
number. The numbers are numpy's, bit for bit, for the same state: SFC64 (Chris Doty-Humphrey's
Small Fast Chaotic generator, numpy's ``sfc64.h``), ``next_double`` = top 53 bits / 2**53, and
numpy's ziggurat methods for the standard normal and exponential (``distributions.c``, as
numba's own ``numba.np.random.distributions`` translates them, with numba's copy of numpy's
tables). ``tests/simulation/test_draw_kernels.py`` holds them to ``numpy.random.Generator(
numpy.random.SFC64(...))``.

A state is a ``uint64`` array ``[a, b, c, counter]`` (numpy's ``SFC64.state["state"]``); the
draw functions take and return the four words as scalars, so that nothing is allocated or
reference-counted per number.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.np.random._constants import (
    fe_double,
    fi_double,
    ke_double,
    ki_double,
    we_double,
    wi_double,
    ziggurat_exp_r,
    ziggurat_nor_inv_r,
    ziggurat_nor_r,
)

_U11 = np.uint64(11)
_U3 = np.uint64(3)
_U24 = np.uint64(24)
_U40 = np.uint64(40)
_U0 = np.uint64(0)
_U1 = np.uint64(1)
_U8 = np.uint64(8)
_FF = np.uint64(0xFF)
_MANTISSA = np.uint64(0x000FFFFFFFFFFFFF)
_TO_DOUBLE = 1.0 / 9007199254740992.0


def state_of(generator: np.random.Generator) -> np.ndarray:
    """The ``[a, b, c, counter]`` words of a numpy SFC64 generator (a copy)."""
    return np.array(generator.bit_generator.state["state"]["state"], dtype=np.uint64)


@njit(cache=True, nogil=True, inline="always")
def next_uint64(a, b, c, w):
    """One SFC64 output: ``(value, a, b, c, counter)``."""
    value = a + b + w
    return value, b ^ (b >> _U11), c + (c << _U3), ((c >> _U40) | (c << _U24)) + value, w + _U1


@njit(cache=True, nogil=True, inline="always")
def uniform(a, b, c, w):
    """Uniform on [0, 1) (numpy's ``random()``): ``(x, a, b, c, counter)``."""
    r, a, b, c, w = next_uint64(a, b, c, w)
    return (r >> _U11) * _TO_DOUBLE, a, b, c, w


@njit(cache=True, nogil=True)
def _normal_tail(rabs, a, b, c, w):
    """The ziggurat's base strip (rare): a normal beyond ``ziggurat_nor_r``."""
    while True:
        u, a, b, c, w = uniform(a, b, c, w)
        xx = -ziggurat_nor_inv_r * np.log1p(-u)
        u, a, b, c, w = uniform(a, b, c, w)
        yy = -np.log1p(-u)
        if yy + yy > xx * xx:
            break
    x = -(ziggurat_nor_r + xx) if (rabs >> _U8) & _U1 else ziggurat_nor_r + xx
    return x, a, b, c, w


@njit(cache=True, nogil=True)
def _normal_retry(x, rabs, idx, a, b, c, w):
    """The ziggurat's slow path (about 1% of draws): accept ``x`` from a wedge, or draw again."""
    while True:
        if idx == _U0:
            return _normal_tail(rabs, a, b, c, w)
        u, a, b, c, w = uniform(a, b, c, w)
        if (fi_double[idx - _U1] - fi_double[idx]) * u + fi_double[idx] < np.exp(-0.5 * x * x):
            return x, a, b, c, w
        r, a, b, c, w = next_uint64(a, b, c, w)
        idx = r & _FF
        r = r >> _U8
        rabs = (r >> _U1) & _MANTISSA
        x = rabs * wi_double[idx]
        if r & _U1:
            x = -x
        if rabs < ki_double[idx]:
            return x, a, b, c, w


@njit(cache=True, nogil=True, inline="always")
def normal(a, b, c, w):
    """Standard normal (numpy's ziggurat ``standard_normal()``): ``(x, a, b, c, counter)``.
    The common case (a point inside the ziggurat's rectangles) straight through; the rest in
    :func:`_normal_retry`, as numpy's loop would continue."""
    r, a, b, c, w = next_uint64(a, b, c, w)
    idx = r & _FF
    r = r >> _U8
    rabs = (r >> _U1) & _MANTISSA
    x = rabs * wi_double[idx]
    if r & _U1:
        x = -x
    if not rabs < ki_double[idx]:
        x, a, b, c, w = _normal_retry(x, rabs, idx, a, b, c, w)
    return x, a, b, c, w


@njit(cache=True, nogil=True)
def _exponential_retry(x, r, idx, a, b, c, w):
    """The ziggurat's slow path for the exponential (see :func:`_normal_retry`)."""
    while True:
        u, a, b, c, w = uniform(a, b, c, w)
        if idx == _U0:
            return ziggurat_exp_r - np.log1p(-u), a, b, c, w
        if (fe_double[idx - _U1] - fe_double[idx]) * u + fe_double[idx] < np.exp(-x):
            return x, a, b, c, w
        r, a, b, c, w = next_uint64(a, b, c, w)
        r = r >> _U3
        idx = r & _FF
        r = r >> _U8
        x = r * we_double[idx]
        if r < ke_double[idx]:
            return x, a, b, c, w


@njit(cache=True, nogil=True, inline="always")
def exponential(a, b, c, w):
    """Standard exponential (numpy's ziggurat ``standard_exponential()``):
    ``(x, a, b, c, counter)``."""
    r, a, b, c, w = next_uint64(a, b, c, w)
    r = r >> _U3
    idx = r & _FF
    r = r >> _U8
    x = r * we_double[idx]
    if not r < ke_double[idx]:
        x, a, b, c, w = _exponential_retry(x, r, idx, a, b, c, w)
    return x, a, b, c, w


@njit(cache=True, nogil=True, inline="always")
def _fill(state, n, draw):
    """``n`` numbers from ``draw`` (one of the generators above); advances ``state``."""
    a, b, c, w = state[0], state[1], state[2], state[3]
    out = np.empty(n)
    for i in range(n):
        out[i], a, b, c, w = draw(a, b, c, w)
    state[0], state[1], state[2], state[3] = a, b, c, w
    return out


@njit(cache=True, nogil=True)
def normals(state, n):
    """``n`` standard normals; advances ``state``."""
    return _fill(state, n, normal)


@njit(cache=True, nogil=True)
def exponentials(state, n):
    """``n`` standard exponentials; advances ``state``."""
    return _fill(state, n, exponential)


@njit(cache=True, nogil=True)
def uniforms(state, n):
    """``n`` uniforms on [0, 1); advances ``state``."""
    return _fill(state, n, uniform)
