"""Bitcoin consensus rules (mainnet) that decide how many coins a fleet can win.

Two forms of the retarget rule live here: an exact integer form that reproduces
Bitcoin Core bit for bit (for replaying history) and a vectorized float form
(for projections over many scenarios).

Convention for the work behind a block: the expected number of hashes to find a
block at difficulty ``D`` is ``2**256 / (target + 1)``, which is
``D * 2**48 / 0xffff`` to within one part in 2**208. minecalc uses this exact
form (:data:`HASHES_PER_DIFFICULTY`); the common shortcut ``D * 2**32`` is
0.0015 % low.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

COIN_SAT = 100_000_000
"""Satoshi per BTC."""
HALVING_INTERVAL = 210_000
"""Blocks between subsidy halvings."""
RETARGET_INTERVAL = 2016
"""Blocks per difficulty epoch."""
TARGET_BLOCK_TIME_S = 600
"""Target spacing between blocks [s]."""
TARGET_TIMESPAN_S = RETARGET_INTERVAL * TARGET_BLOCK_TIME_S
"""Target duration of one epoch, 1,209,600 [s]."""
MIN_TIMESPAN_S = TARGET_TIMESPAN_S // 4
MAX_TIMESPAN_S = TARGET_TIMESPAN_S * 4
POW_LIMIT = 2**224 - 1
"""Largest (easiest) allowed target."""
POW_LIMIT_NBITS = 0x1D00FFFF
INITIAL_SUBSIDY_SAT = 50 * COIN_SAT
HASHES_PER_DIFFICULTY = 2.0**48 / 0xFFFF
"""Expected hashes per block per unit of difficulty [H]: 2**48/0xffff = 2**32 * (1 + 1/65535)."""
SECONDS_PER_DAY = 86_400
SECONDS_PER_YEAR = 365.2425 * SECONDS_PER_DAY
"""Mean Gregorian year [s]; the year used by every growth-rate conversion."""
MAX_SUPPLY_SAT = 2_099_999_997_690_000
"""Total subsidy ever issued [sat] (sum over all halvings of 210,000 x subsidy)."""


def block_subsidy_sat(height: npt.ArrayLike) -> np.ndarray | int:
    """Block subsidy at a height, exactly as Bitcoin Core's ``GetBlockSubsidy``.

    Parameters
    ----------
    height : int or array_like of int
        Block height [-], >= 0.

    Returns
    -------
    int or numpy.ndarray of int64
        Subsidy [sat].

    Notes
    -----
    ``halvings = height // 210000``; subsidy is 0 when ``halvings >= 64`` else
    ``(50 * 1e8) >> halvings`` (integer shift, truncating).
    """
    halvings = _halvings(height)
    # numpy's shift by >= 64 bits is undefined, so clip it and mask the result.
    shifted = np.right_shift(np.int64(INITIAL_SUBSIDY_SAT), np.minimum(halvings, 63))
    out = np.where(halvings >= LAST_ERA, 0, shifted)
    return out if out.ndim else int(out)


def _halvings(height: npt.ArrayLike) -> np.ndarray:
    """Halvings before a height [-], the heights checked to be >= 0."""
    h = np.asarray(height, dtype=np.int64)
    if np.any(h < 0):
        raise ValueError(f"height: expected >= 0, got {h[h < 0].ravel()[0]}")
    return h // HALVING_INTERVAL


LAST_ERA = 64
"""The first halving era that pays no subsidy [-]: Core's shift stops at 64 halvings."""
SUBSIDY_BY_ERA_BTC = (
    np.asarray(block_subsidy_sat(np.arange(LAST_ERA + 1) * HALVING_INTERVAL)) / COIN_SAT
)
"""Block subsidy of each halving era [BTC]: :func:`block_subsidy_sat` at the era's first
block; the last, 0, serves every era from :data:`LAST_ERA` on."""


def block_subsidy_btc(height: npt.ArrayLike) -> np.ndarray | float:
    """Block subsidy at a height [BTC] (float form of :func:`block_subsidy_sat`, by era from
    :data:`SUBSIDY_BY_ERA_BTC`: a look-up, 4x faster than the shift)."""
    return SUBSIDY_BY_ERA_BTC[np.minimum(_halvings(height), LAST_ERA)]


def nbits_to_target(nbits: int) -> int:
    """Decode a compact target (``nBits``) to the 256-bit target, as Core's ``SetCompact``.

    Raises
    ------
    ValueError
        If the encoding is negative, overflows 256 bits or exceeds the proof-of-work limit.
    """
    nbits = int(nbits)
    size = nbits >> 24
    word = nbits & 0x007FFFFF
    if size <= 3:
        word >>= 8 * (3 - size)  # Core tests the sign on the word after this shift
    target = word if size <= 3 else word << 8 * (size - 3)
    if word and nbits & 0x00800000:
        raise ValueError(f"nbits: expected a non-negative compact target, got {nbits:#010x}")
    if target > POW_LIMIT:
        raise ValueError(f"nbits: expected a target <= powLimit (0x1d00ffff), got {nbits:#010x}")
    return target


def target_to_nbits(target: int) -> int:
    """Encode a 256-bit target as compact ``nBits``, as Core's ``GetCompact`` (truncating)."""
    target = int(target)
    if target < 0:
        raise ValueError(f"target: expected >= 0, got {target}")
    size = (target.bit_length() + 7) // 8
    mantissa = target >> 8 * (size - 3) if size > 3 else target << 8 * (3 - size)
    # The mantissa's top bit is a sign bit; shift it out rather than encode a negative number.
    if mantissa & 0x00800000:
        mantissa >>= 8
        size += 1
    return size << 24 | mantissa


def nbits_to_difficulty(nbits: npt.ArrayLike) -> np.ndarray | float:
    """Difficulty of a compact target, as Core's ``GetDifficulty`` (vectorized).

    Parameters
    ----------
    nbits : int or array_like of int
        Compact targets.

    Returns
    -------
    float or numpy.ndarray
        Difficulty [-].

    Notes
    -----
    ``D = 0xffff / mantissa * 256**(29 - exponent)``, equal to ``0xffff * 2**208 / target``.
    """
    n = np.asarray(nbits, dtype=np.int64)
    mantissa = (n & 0x00FFFFFF).astype(np.float64)
    exponent = (n >> 24) & 0xFF
    with np.errstate(divide="ignore"):  # mantissa 0 is an infinitely hard target
        out = np.ldexp(0xFFFF / mantissa, (8 * (29 - exponent)).astype(np.int32))
    return out if out.ndim else float(out)


def next_nbits(nbits: int, first_block_time: int, last_block_time: int) -> int:
    """Compact target of the next epoch, exactly as Core's ``CalculateNextWorkRequired``.

    Parameters
    ----------
    nbits : int
        Compact target of the epoch that just ended.
    first_block_time, last_block_time : int
        Header times of the epoch's first and last (2015th-next) block [s since epoch].

    Returns
    -------
    int
        Compact target of the next epoch.

    Notes
    -----
    ``timespan = clamp(last - first, 302400, 4838400)``;
    ``target' = min(target * timespan // 1209600, powLimit)``; then GetCompact.
    The timespan covers 2015 block intervals, not 2016.
    """
    timespan = min(
        max(int(last_block_time) - int(first_block_time), MIN_TIMESPAN_S), MAX_TIMESPAN_S
    )
    target = nbits_to_target(nbits) * timespan // TARGET_TIMESPAN_S
    return target_to_nbits(min(target, POW_LIMIT))


def retarget_difficulty(difficulty: npt.ArrayLike, timespan_s: npt.ArrayLike) -> np.ndarray | float:
    """Next epoch's difficulty from the measured timespan (vectorized float form).

    Parameters
    ----------
    difficulty : array_like
        Difficulty of the epoch that ended [-].
    timespan_s : array_like
        Time from the epoch's first to its last block, 2015 intervals [s].

    Returns
    -------
    numpy.ndarray or float
        Next difficulty [-], at least 1 (the proof-of-work limit).

    Notes
    -----
    ``D' = max(D * 1209600 / clamp(timespan, 302400, 4838400), 1)``: at most x4 or /4
    per epoch. Unlike the integer form, no compact truncation (<= 2**-15 relative).
    """
    # minimum/maximum rather than clip: numba compiles this for the chain's loop on scalars
    clamped = np.minimum(np.maximum(timespan_s, MIN_TIMESPAN_S), MAX_TIMESPAN_S)
    return np.maximum(np.multiply(difficulty, TARGET_TIMESPAN_S / clamped), 1.0)


def hashrate_from_difficulty(
    difficulty: npt.ArrayLike, block_time_s: np.ndarray | float = TARGET_BLOCK_TIME_S
) -> np.ndarray | float:
    """Network hashrate implied by a difficulty [H/s]: ``D * 2**48/0xffff / block_time``."""
    return np.asarray(difficulty, dtype=np.float64) * HASHES_PER_DIFFICULTY / block_time_s


def expected_btc(
    hashrate_h_s: npt.ArrayLike,
    duration_s: np.ndarray | float,
    difficulty: npt.ArrayLike,
    reward_btc: np.ndarray | float,
) -> np.ndarray | float:
    """Expected BTC won by a hashrate over a duration at a fixed difficulty.

    Parameters
    ----------
    hashrate_h_s : array_like
        Miner's hashrate [H/s].
    duration_s : array_like
        Mining time [s].
    difficulty : array_like
        Difficulty [-].
    reward_btc : array_like
        Subsidy plus fees per block [BTC].

    Returns
    -------
    numpy.ndarray or float
        Expected BTC [BTC].

    Notes
    -----
    ``btc = h * t * R / (D * 2**48/0xffff)``.
    """
    work_h = np.asarray(hashrate_h_s, dtype=np.float64) * duration_s
    return work_h * reward_btc / (np.asarray(difficulty, dtype=np.float64) * HASHES_PER_DIFFICULTY)
