"""RSMI: learn the coarse-graining rule P_Λ(H|V) that maximises I(H:E) (science.md §1–3)."""
