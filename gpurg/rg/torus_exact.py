"""The exact law of the coarse spins of a small Ising torus, and its effective Hamiltonian.

A fine L x L Ising torus at coupling K (weight exp(K Σ_<ij> s_i s_j)) is coarse-grained by a
b = 2 one-unit block rule, given by its table p(v) = P(h = +1 | v) over the 16 states v of a
2 x 2 block (:func:`rule_table`: majority rule with a coin on ties, decimation, a learned
filter σ(2 λ·v + 2 c) or its most probable value). The coarse spins H live on an m x m torus,
m = L / 2, and their law is

    P(H) = Σ_s exp(K E(s)) Π_blocks P(h_k | v_k(s)) / Z.

:func:`coarse_law` sums it by transfer matrices over pairs of fine rows: for coarse row
pattern h, W_h[r0, r2] = Σ_{r1} exp(K (E_row(r0) + E_row(r1) + E_vert(r0, r1) + E_vert(r1, r2)))
Π_k P(h_k | block k of rows r0, r1), and Z P(H) = Tr W_{h_0} ... W_{h_(m-1)}. For L = 8
(4 x 4 coarse spins, 2^16 H) the traces are one matrix product of the 2-row products (256
matrices of 256 x 256 with themselves), about a second; L = 4 and 6 are instant. L = 10 (2^25
H) is refused. :func:`brute_force_law` sums the L = 4 law over all 2^16 fine states instead,
the independent check.

What the law gives (:class:`CoarseLaw`):

* :meth:`CoarseLaw.walsh`: every coefficient of ln P(H) = Σ_S c_S Π_{i∈S} h_i over the 2^(m^2)
  subsets S of coarse sites (fast Walsh-Hadamard transform).
* :meth:`CoarseLaw.walsh_couplings`: the coupling of each operator of
  :data:`gpurg.rg.operators.SHAPES` in that expansion. An operator sum is
  O_a(H) = Σ_terms Π_{o∈term} h_{j+o} (one term per site j and orientation, indices mod m);
  on a small torus several terms can be the same subset S (on m = 4 the pairs at (0, 2) and
  (0, -2) coincide, so "third" holds every distance-2 pair twice; "knight" likewise) and a
  term can collapse when two of its sites coincide. So O_a = Σ_S n_a(S) χ_S with n_a(S) the
  number of terms equal to S, and the coupling reported is the projection
  K_a = Σ_S n_a(S) c_S / Σ_S n_a(S)^2: the coefficient of O_a in the least-squares fit of
  ln P(H) (uniform weight over H) by the operator sums, which is c_S / n_a(S) when all the
  operator's subsets share one coefficient (a rule with the square's symmetry). With n = 1
  (every operator of span 1 on m >= 3, the longer ones on m >= 2 span + 1) it is c_S itself,
  the Walsh coefficient of one bond or plaquette, which is what the lattice-sum couplings of
  a pseudo-likelihood fit estimate when the Hamiltonian is short-ranged. Two operators whose
  subsets overlap on this torus are aliased (reported by :meth:`CoarseLaw.aliased`).
* :meth:`CoarseLaw.pseudo_likelihood_optimum`: the maximum of the population
  pseudo-likelihood Σ_H P(H) Σ_i ln P_K(h_i | rest) over K for an operator set, the value a
  pseudo-likelihood fit of infinitely many exact samples converges to (it differs from the
  Walsh couplings when ln P has terms outside the operator set).
* :meth:`CoarseLaw.sample`: independent exact samples.

:func:`ising_law` is the plain m x m Ising torus itself (the identity rule), by enumeration:
its Walsh couplings are K on "nn" and 0 elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from gpurg.errors import InputError
from gpurg.rg.flow import _check_operators, _fit_counts, _pattern_index
from gpurg.rg.maps import Decimation, MajorityRule, RGMap, RsmiRule
from gpurg.rg.operators import SHAPES
from gpurg.rsmi.rule import activations
from gpurg.validation import SEED, Choice, Integer, Real, checked

FINE_SIDE = Integer(4, 8, multiple=2, text="an even integer in [4, 8] (coarse 2x2 to 4x4)")
"""Fine torus sides whose coarse law can be enumerated: 4, 6, 8."""
ISING_SIDE = Integer(2, 4)
"""Torus sides whose 2^(m^2) states are listed: 2, 3, 4."""
COUPLING = Real()


def _block_states() -> np.ndarray:
    """float64 (16, 4): the 2 x 2 block states, v_i = +1 when bit i of the index is set,
    sites in row-major order (y 2 + x), the order of a filter's weights."""
    return np.where((np.arange(16)[:, None] >> np.arange(4)) & 1, 1.0, -1.0)


@checked(mode=Choice(("max", "sample")))
def rule_table(rule: RGMap | str, mode: str = "max") -> np.ndarray:
    """P(h = +1 | v): float64 (16,) over the block states of :func:`_block_states` for a b = 2
    one-unit rule: an :class:`~gpurg.rg.maps.MajorityRule` (tie: 1/2, the coin), a
    :class:`~gpurg.rg.maps.Decimation` (the top-left spin), an
    :class:`~gpurg.rg.maps.RsmiRule` (its own mode: "sample" σ(2a), "max" the sign of a,
    1/2 at a = 0), or the names "majority", "decimation" (``mode`` is for names only)."""
    if isinstance(rule, str):
        names = {"majority": MajorityRule(2), "decimation": Decimation(2)}
        if rule not in names:
            raise InputError(f"unknown rule {rule!r}; allowed: {', '.join(names)} or an RGMap")
        rule = names[rule]
    v = _block_states()
    if rule.b != 2:
        raise InputError(f"the exact coarse law needs a b = 2 rule, got b = {rule.b}")
    if isinstance(rule, MajorityRule):
        return 0.5 * (1.0 + np.sign(v.sum(axis=1)))
    if isinstance(rule, Decimation):
        return 0.5 * (1.0 + v[:, 0])
    if isinstance(rule, RsmiRule):
        a = activations(rule.rule.filters, rule.rule.bias, v)[:, 0]
        if rule.mode == "max":
            return 0.5 * (1.0 + np.sign(a))
        return 1.0 / (1.0 + np.exp(-2.0 * a))
    raise InputError(f"no exact table for the rule {rule.name}")


@checked(m=ISING_SIDE)
def all_states(m: int) -> np.ndarray:
    """int8 (2^(m^2), m, m): every configuration of the m x m torus, h[y, x] = +1 when bit
    y m + x of the index is set (the order of :func:`gpurg.models.ising_exact.enumerate_states`)."""
    n = m * m
    bits = (np.arange(2**n, dtype=np.int64)[:, None] >> np.arange(n)) & 1
    return (2 * bits - 1).astype(np.int8).reshape(-1, m, m)


def _walsh_transform(values: np.ndarray) -> np.ndarray:
    """c_S = 2^-N Σ_H f(H) Π_{i∈S} h_i for f given at the 2^N states (bit i set: h_i = +1);
    S is the index whose set bits are the sites in S."""
    n = int(values.size).bit_length() - 1
    c = values.astype(np.float64).reshape((2,) * n)
    for axis in range(n):
        lo = np.take(c, 0, axis=axis)
        hi = np.take(c, 1, axis=axis)
        c = np.stack(((lo + hi) / 2, (hi - lo) / 2), axis=axis)
    return c.reshape(-1)


@checked(m=Integer(1))
def operator_subsets(name: str, m: int) -> dict[int, int]:
    """{S: n_a(S)}: the subsets of the m x m torus (bit y m + x) that the terms of operator
    ``name`` reduce to, with the number of terms equal to each (see the module docstring)."""
    if name not in SHAPES:
        raise InputError(f"unknown operator {name!r}; allowed: {', '.join(SHAPES)}")
    out: dict[int, int] = {}
    for y in range(m):
        for x in range(m):
            for shape in SHAPES[name]:
                mask = 0
                for dy, dx in shape:  # h h = 1: a site met twice drops out
                    mask ^= 1 << (((y + dy) % m) * m + (x + dx) % m)
                out[mask] = out.get(mask, 0) + 1
    return out


@dataclass(frozen=True)
class CoarseLaw:
    """P(H) of the m x m coarse spins of an L x L torus at coupling K (:func:`coarse_law`).

    probabilities: float64 (2^(m^2),), indexed like :func:`all_states` (m).
    """

    L: int
    K: float
    m: int
    probabilities: np.ndarray
    rule: str = ""

    @cached_property
    def states(self) -> np.ndarray:
        return all_states(self.m)

    @cached_property
    def walsh(self) -> np.ndarray:
        """float64 (2^(m^2),): c_S of ln P(H) = Σ_S c_S Π_{i∈S} h_i (S: bit mask)."""
        if np.any(self.probabilities <= 0):
            raise InputError("ln P(H) is -inf for some H: the Walsh expansion does not exist")
        return _walsh_transform(np.log(self.probabilities))

    def walsh_couplings(self, operators: tuple[str, ...] | list[str]) -> np.ndarray:
        """float64 (n_ops,): each operator's coupling in the expansion of ln P(H), the
        projection Σ_S n_a(S) c_S / Σ_S n_a(S)^2 (module docstring); nan for an operator
        whose terms all collapse to the constant on this torus."""
        c = self.walsh
        out = np.empty(len(operators))
        for a, name in enumerate(operators):
            subsets = {S: k for S, k in operator_subsets(name, self.m).items() if S}
            norm = sum(k * k for k in subsets.values())
            out[a] = sum(k * c[S] for S, k in subsets.items()) / norm if norm else np.nan
        return out

    def aliased(self, operators: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
        """Pairs of operators that share a subset on this torus (their couplings mix)."""
        sets = {name: set(operator_subsets(name, self.m)) - {0} for name in operators}
        return [(a, b) for i, a in enumerate(operators) for b in operators[i + 1:]
                if sets[a] & sets[b]]

    def pseudo_likelihood_optimum(self, operators: tuple[str, ...] | list[str]) -> np.ndarray:
        """float64 (n_ops,): argmax_K Σ_H P(H) Σ_i ln P_K(h_i | rest) for -H = Σ_a K_a O_a
        (the fit of :func:`gpurg.rg.flow.pseudo_likelihood_couplings` on infinitely many exact
        samples). Needs m >= 3 and operators that fit m (m >= 2 span)."""
        if self.m < 3:
            raise InputError("the pseudo-likelihood needs a coarse torus of side >= 3")
        operators = _check_operators(operators, 3, self.m)
        patterns, index = _pattern_index(self.states, operators)
        weights = np.bincount(index.ravel(), np.repeat(self.probabilities, index.shape[1]),
                              minlength=patterns.shape[0])
        return _fit_counts(patterns, weights)

    @checked(n=Integer(1), seed=SEED)
    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """int8 (n, m, m): n independent exact draws of H."""
        rng = np.random.default_rng(seed)
        p = self.probabilities / self.probabilities.sum()
        return self.states[rng.choice(p.size, size=n, p=p)]


def _rows(L: int) -> np.ndarray:
    """float64 (2^L, L): row states, spin x = +1 when bit x is set."""
    return np.where((np.arange(2**L)[:, None] >> np.arange(L)) & 1, 1.0, -1.0)


def _as_table(table: Any) -> np.ndarray:
    if isinstance(table, (str, RGMap)):
        return rule_table(table)
    t = np.asarray(table, dtype=np.float64)
    if t.shape != (16,) or np.any((t < 0) | (t > 1)) or not np.all(np.isfinite(t)):
        raise InputError(f"a block table is 16 probabilities in [0, 1], got shape {t.shape}")
    return t


@checked(L=FINE_SIDE, K=COUPLING)
def coarse_law(L: int, K: float, table: Any) -> CoarseLaw:
    """The exact law of the (L/2) x (L/2) coarse spins of the L x L Ising torus at coupling
    ``K`` under the b = 2 block rule ``table`` (16 values P(h = +1 | v), or a rule for
    :func:`rule_table`), by transfer matrices (module docstring). L in {4, 6, 8}."""
    rule = table if isinstance(table, str) else getattr(table, "name", "table")
    p_plus = _as_table(table)
    m = L // 2
    rows = _rows(L)  # (R, L)
    R = rows.shape[0]
    e_row = (rows * np.roll(rows, -1, axis=1)).sum(axis=1)  # horizontal bonds of a row
    e_vert = rows @ rows.T  # vertical bonds between two rows
    # block k of rows (r0, r1): state bits (r0[2k], r0[2k+1], r1[2k], r1[2k+1])
    bit = (np.arange(R)[:, None] >> np.arange(L)) & 1  # (R, L)
    top = bit[:, 0::2] + 2 * bit[:, 1::2]  # (R, m)
    state = top[:, None, :] + 4 * top[None, :, :]  # (R, R, m)
    p = p_plus[state]  # P(h_k = +1 | block k)
    hrows = (np.arange(2**m)[:, None] >> np.arange(m)) & 1  # (n_h, m)
    # factor[h, r0, r1] = Π_k P(h_k | block k)
    factor = np.prod(np.where(hrows[:, None, None, :] == 1, p[None], 1.0 - p[None]), axis=-1)
    energy = e_row[:, None] + e_row[None, :] + e_vert
    A = factor * np.exp(K * (energy - energy.max()))[None]  # (n_h, R0, R1)
    B = np.exp(K * (e_vert - e_vert.max()))  # (R1, R2)
    W = A @ B  # (n_h, R0, R2)
    W /= W.max()
    first = (m + 1) // 2
    products = W  # products of `first` rows: index h_0 + n_h h_1 + ...
    for _ in range(first - 1):
        products = (products[None] @ W[:, None]).reshape(-1, R, R)  # [h, a] = P[a] W[h]
    if m - first == first:
        second = products
    else:  # m = 3: the remaining single row
        second = W
    # Z P(H) = Tr(P1[a] P2[b]), H = a + n_h^first b
    trace = products.reshape(products.shape[0], -1) @ second.transpose(0, 2, 1).reshape(
        second.shape[0], -1).T  # (a, b)
    z = trace.T.reshape(-1)  # index a + n_a b
    if z.size != 2 ** (m * m):
        raise AssertionError("coarse law size")
    return CoarseLaw(L, float(K), m, z / z.sum(), rule)


@checked(K=COUPLING)
def brute_force_law(K: float, table: Any) -> CoarseLaw:
    """The law of the 2 x 2 coarse spins of the 4 x 4 torus, summed over all 2^16 fine
    states (the independent check of :func:`coarse_law`)."""
    p_plus = _as_table(table)
    s = all_states(4).astype(np.float64)
    bonds = (s * np.roll(s, -1, axis=1) + s * np.roll(s, -1, axis=2)).sum(axis=(1, 2))
    w = np.exp(K * (bonds - bonds.max()))
    v = s.reshape(-1, 2, 2, 2, 2).transpose(0, 1, 3, 2, 4).reshape(-1, 2, 2, 4)  # tiles
    index = ((v > 0) * (1 << np.arange(4))).sum(axis=-1).reshape(-1, 4)  # (n, coarse site)
    p = p_plus[index]
    H = all_states(2).reshape(16, 4)
    probs = np.prod(np.where(H[:, None, :] > 0, p[None], 1.0 - p[None]), axis=-1) @ w
    rule = table if isinstance(table, str) else getattr(table, "name", "table")
    return CoarseLaw(4, float(K), 2, probs / probs.sum(), rule)


@checked(m=ISING_SIDE, K=COUPLING)
def ising_law(m: int, K: float) -> CoarseLaw:
    """The plain m x m Ising torus at coupling K as a law (the identity rule), m <= 4."""
    s = all_states(m).astype(np.float64)
    bonds = (s * np.roll(s, -1, axis=1) + s * np.roll(s, -1, axis=2)).sum(axis=(1, 2))
    w = np.exp(K * (bonds - bonds.max()))
    return CoarseLaw(m, float(K), m, w / w.sum(), "identity")


__all__ = ["CoarseLaw", "all_states", "brute_force_law", "coarse_law", "ising_law",
           "operator_subsets", "rule_table"]
