"""Whole jobs built on the library: the main job (``gpurg run ising``), the benchmarks
(``gpurg bench ...``) and the self-test (``gpurg selftest``). The library modules beside
this package know nothing of them."""
